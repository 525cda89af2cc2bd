//! Turns an `Authorization` header into a [`Principal`]: `Bearer toex_…` API tokens are
//! checked against the user store (re-read when the file changes, so a revocation or a
//! disabled user takes effect at once), other bearer tokens as JWTs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::users::TOKEN_PREFIX;
use crate::{AccessError, AuthMethod, JwtVerifier, Principal, UserStore};

struct Loaded {
    stamp: Option<(SystemTime, u64)>,
    store: UserStore,
}

/// Authenticates requests; built once and shared.
pub struct Authenticator {
    path: PathBuf,
    loaded: Mutex<Loaded>,
    /// SHA-256 of tokens whose argon2 hash already verified → token id, so the slow
    /// hash runs once per token, not per request.
    verified: Mutex<HashMap<[u8; 32], String>>,
    jwt: JwtVerifier,
}

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
            verified: Mutex::new(HashMap::new()),
            jwt,
        })
    }

    /// The caller named by an `Authorization` header value. May run argon2 (tens of
    /// milliseconds) the first time a token is seen: call it off the async runtime.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AccessError> {
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
            self.api_token(token)
        } else if self.jwt.enabled() {
            self.jwt.verify(token)
        } else {
            Err(AccessError::Unauthenticated(
                "invalid bearer token: not an API token, and JWTs are not configured".to_owned(),
            ))
        }
    }

    fn api_token(&self, token: &str) -> Result<Principal, AccessError> {
        let invalid = || AccessError::Unauthenticated("invalid or revoked API token".to_owned());
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
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
        let cached = self
            .verified
            .lock()
            .expect("token cache lock")
            .get(&digest)
            .cloned();
        let record = match cached {
            Some(id) => loaded.store.tokens().iter().find(|t| t.id == id),
            None => {
                let record = loaded.store.verify(token);
                if let Some(r) = record {
                    self.verified
                        .lock()
                        .expect("token cache lock")
                        .insert(digest, r.id.clone());
                }
                record
            }
        }
        .ok_or_else(invalid)?;
        if record.revoked_at.is_some() {
            return Err(invalid());
        }
        if record.expires_at.is_some_and(|at| at <= chrono::Utc::now()) {
            return Err(AccessError::Unauthenticated("API token expired".to_owned()));
        }
        let user = loaded
            .store
            .user(&record.user)
            .filter(|u| !u.disabled)
            .ok_or_else(|| AccessError::Unauthenticated("user disabled".to_owned()))?;
        Ok(Principal {
            user: user.name.clone(),
            role: user.role,
            forces: user.forces.clone(),
            operations: user.operations.clone(),
            method: AuthMethod::ApiToken,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{JwtSettings, Role};

    #[test]
    fn revocation_and_disabling_take_effect_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        let mut store = UserStore::open(&path).unwrap();
        store
            .add_user("ana", Role::Analyst, &["WYP".into()], &[])
            .unwrap();
        let (id, token) = store.create_token("ana", "", None).unwrap();
        store.save().unwrap();
        let auth =
            Authenticator::new(&path, JwtVerifier::new(&JwtSettings::default()).unwrap()).unwrap();
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
}
