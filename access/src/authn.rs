//! Turns an `Authorization` header into a [`Principal`]: `Bearer toex_…` API tokens are
//! checked against the user store (re-read when the file changes, so a revocation or a
//! disabled user takes effect at once), other bearer tokens as JWTs. argon2 runs outside
//! every lock, an unknown token id costs as long as a known one, and failed attempts are
//! limited per client and per token id before argon2 runs again.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::users::{TOKEN_PREFIX, verify_token_secret};
use crate::{
    AccessError, AuthMethod, JwtVerifier, Principal, RateLimiter, TokenInfo, User, UserStore,
};

struct Loaded {
    stamp: Option<(SystemTime, u64)>,
    store: UserStore,
}

/// Authenticates requests; built once and shared.
pub struct Authenticator {
    path: PathBuf,
    loaded: Mutex<Loaded>,
    /// SHA-256 of tokens whose argon2 hash already verified, so the slow hash runs once
    /// per token, not per request.
    verified: Mutex<HashSet<[u8; 32]>>,
    /// Failed authentications per client address and per token id.
    failures: RateLimiter,
    jwt: JwtVerifier,
}

/// Failed API-token authentications allowed per client and per token id each minute
/// (with a burst of as many): past it, attempts are refused before argon2 runs.
pub const FAILURES_PER_MINUTE: u32 = 10;

fn stamp(path: &std::path::Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

impl Authenticator {
    pub fn new(store_path: impl Into<PathBuf>, jwt: JwtVerifier) -> Result<Self, AccessError> {
        let path = store_path.into();
        let store = UserStore::open(&path)?;
        Ok(Self {
            loaded: Mutex::new(Loaded {
                stamp: stamp(&path),
                store,
            }),
            path,
            verified: Mutex::new(HashSet::new()),
            failures: RateLimiter::new(FAILURES_PER_MINUTE, FAILURES_PER_MINUTE),
            jwt,
        })
    }

    /// The caller named by an `Authorization` header value. May run argon2 (tens of
    /// milliseconds) the first time a token is seen: call it off the async runtime.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AccessError> {
        self.authenticate_from(authorization, None)
    }

    /// As [`Self::authenticate`], for a request from `client` (its address): failed
    /// attempts are limited per client as well as per token id.
    pub fn authenticate_from(
        &self,
        authorization: Option<&str>,
        client: Option<&str>,
    ) -> Result<Principal, AccessError> {
        let value = authorization.ok_or_else(|| {
            AccessError::Unauthenticated(
                "authentication required: send `Authorization: Bearer <token>`".to_owned(),
            )
        })?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AccessError::Unauthenticated(
                    "the Authorization header must be `Bearer <token>`".to_owned(),
                )
            })?;
        if token.starts_with(TOKEN_PREFIX) {
            self.api_token(token, client)
        } else if self.jwt.enabled() {
            self.jwt.verify(token)
        } else {
            Err(AccessError::Unauthenticated(
                "invalid bearer token: not an API token, and JWTs are not configured".to_owned(),
            ))
        }
    }

    /// The token's record and its user as the store holds them now (re-read when the
    /// file changed). The lock is held only for this: argon2 runs after it.
    fn lookup(&self, token: &str) -> (Option<TokenInfo>, Option<User>) {
        let mut loaded = self.loaded.lock().expect("user store lock");
        let now = stamp(&self.path);
        if now != loaded.stamp {
            match UserStore::open(&self.path) {
                Ok(store) => {
                    loaded.store = store;
                    loaded.stamp = now;
                }
                Err(err) => {
                    tracing::error!(error = %err, "user store unreadable; keeping the last good copy")
                }
            }
        }
        let record = loaded.store.token_record(token).cloned();
        let user = record
            .as_ref()
            .and_then(|r| loaded.store.user(&r.user))
            .cloned();
        (record, user)
    }

    fn api_token(&self, token: &str, client: Option<&str>) -> Result<Principal, AccessError> {
        let invalid = || AccessError::Unauthenticated("invalid or revoked API token".to_owned());
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let cached = self
            .verified
            .lock()
            .expect("token cache lock")
            .contains(&digest);
        if !cached {
            // Guessing is slowed per client and per token id before argon2 runs again.
            let id = token_id(token);
            let keys: Vec<String> = [
                client.map(|c| format!("client:{c}")),
                Some(format!("id:{id}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !keys.iter().all(|k| self.failures.allows(k)) {
                return Err(AccessError::RateLimited {
                    per_minute: FAILURES_PER_MINUTE,
                });
            }
            let (record, _) = self.lookup(token);
            if !verify_token_secret(token, record.as_ref().map(|r| r.hash.as_str())) {
                keys.iter().for_each(|k| self.failures.take(k));
                return Err(invalid());
            }
            self.verified
                .lock()
                .expect("token cache lock")
                .insert(digest);
        }
        // Revocation, expiry and the user are read afresh on every request.
        let (record, user) = self.lookup(token);
        let record = record.ok_or_else(invalid)?;
        if record.revoked_at.is_some() {
            return Err(invalid());
        }
        if record.expires_at.is_some_and(|at| at <= chrono::Utc::now()) {
            return Err(AccessError::Unauthenticated("API token expired".to_owned()));
        }
        let user = user
            .filter(|u| !u.disabled)
            .ok_or_else(|| AccessError::Unauthenticated("user disabled".to_owned()))?;
        Ok(Principal {
            user: user.name,
            role: user.role,
            forces: user.forces,
            operations: user.operations,
            method: AuthMethod::ApiToken,
        })
    }
}

/// The id part of a presented API token (`toex_<id>_<secret>`), bounded in length.
fn token_id(token: &str) -> String {
    token
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|t| t.split('_').next())
        .unwrap_or_default()
        .chars()
        .take(32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{JwtSettings, Role};

    /// A user store in a temporary directory holding analyst `ana` and one token of
    /// hers: the directory, the token's id and the token.
    fn store_with_one_token() -> (tempfile::TempDir, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = UserStore::open(dir.path().join("users.json")).unwrap();
        store
            .add_user("ana", Role::Analyst, &["WYP".into()], &[])
            .unwrap();
        let (id, token) = store.create_token("ana", "", None).unwrap();
        store.save().unwrap();
        (dir, id, token)
    }

    fn authenticator(path: &std::path::Path) -> Authenticator {
        Authenticator::new(path, JwtVerifier::new(&JwtSettings::default()).unwrap()).unwrap()
    }

    #[test]
    fn revocation_and_disabling_take_effect_at_once() {
        let (dir, id, token) = store_with_one_token();
        let path = dir.path().join("users.json");
        let auth = authenticator(&path);
        let header = format!("Bearer {token}");
        assert_eq!(
            auth.authenticate(Some(&header)).unwrap().forces,
            vec!["WYP"]
        );
        assert!(auth.authenticate(None).is_err());
        assert!(auth.authenticate(Some("Basic abc")).is_err());
        assert!(
            auth.authenticate(Some("Bearer toex_000000000000_00"))
                .is_err()
        );

        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut store = UserStore::open(&path).unwrap();
        store.revoke_token(&id).unwrap();
        // A different length guarantees the change is seen even on coarse clocks.
        store
            .add_user("padding", Role::Analyst, &["WYP".into()], &[])
            .unwrap();
        store.save().unwrap();
        assert!(
            auth.authenticate(Some(&header)).is_err(),
            "a revoked token still worked"
        );
    }

    // Regression: failed authentications were not limited, so 20 clients guessing
    // secrets kept argon2 (under the store's lock) busy for everyone.
    #[test]
    fn failed_attempts_are_limited_per_client_and_per_token_id() {
        let (dir, id, token) = store_with_one_token();
        let path = dir.path().join("users.json");
        let auth = authenticator(&path);
        let guess = |i: u32| format!("Bearer toex_{id}_{i:048}");
        for i in 0..FAILURES_PER_MINUTE {
            let err = auth
                .authenticate_from(Some(&guess(i)), Some("10.0.0.1"))
                .unwrap_err();
            assert!(matches!(err, AccessError::Unauthenticated(_)), "{err}");
        }
        // The token id is now guarded from every client; the client for every id.
        for (who, header) in [
            ("10.0.0.2", guess(99)),
            ("10.0.0.1", "Bearer toex_abcdef_00".to_owned()),
        ] {
            let err = auth
                .authenticate_from(Some(&header), Some(who))
                .unwrap_err();
            assert!(
                matches!(err, AccessError::RateLimited { .. }),
                "{who}: {err}"
            );
        }
        // The right secret verified once keeps working (no argon2, no limit)...
        let fresh =
            Authenticator::new(&path, JwtVerifier::new(&JwtSettings::default()).unwrap()).unwrap();
        let header = format!("Bearer {token}");
        assert!(
            fresh
                .authenticate_from(Some(&header), Some("10.0.0.3"))
                .is_ok()
        );
        for i in 0..FAILURES_PER_MINUTE {
            let _ = fresh.authenticate_from(Some(&guess(i)), Some("10.0.0.4"));
        }
        assert!(
            fresh
                .authenticate_from(Some(&header), Some("10.0.0.3"))
                .is_ok()
        );
    }
}
