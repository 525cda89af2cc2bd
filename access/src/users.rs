//! The user store: users (role, forces, operation compartments) and their API tokens,
//! kept in one JSON file written atomically. A token's secret is shown once, at
//! creation; the store keeps only its argon2 hash.

use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{AccessError, Role};

/// Prefix of every API token, so a token is told from a JWT at a glance.
pub const TOKEN_PREFIX: &str = "toex_";

/// A person or program that may call toex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub forces: Vec<String>,
    #[serde(default)]
    pub operations: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// An API token as stored: its id, owner and argon2 hash, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub user: String,
    pub label: String,
    pub hash: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StoreFile {
    version: u32,
    users: Vec<User>,
    tokens: Vec<TokenInfo>,
}

/// The users and tokens file.
#[derive(Debug, Clone)]
pub struct UserStore {
    path: PathBuf,
    data: StoreFile,
}

/// `n` random bytes from the operating system, as lower-case hex.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The argon2id hash (PHC string) of a secret, with a random salt.
pub fn hash_secret(secret: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random source failed");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .expect("argon2 with default parameters does not fail")
        .to_string()
}

fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

fn check_name(name: &str) -> Result<(), AccessError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AccessError::InvalidInput(format!(
            "user name `{name}` must be 1–64 characters of letters, digits, `.`, `_`, `-` or `@`"
        )))
    }
}

impl UserStore {
    /// Opens the store at `path`; a missing file is an empty store.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, AccessError> {
        let path = path.into();
        let data = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| AccessError::Corrupt {
                what: "user store",
                path: path.clone(),
                reason: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StoreFile {
                version: 1,
                ..StoreFile::default()
            },
            Err(e) => return Err(AccessError::io("user store", &path, e)),
        };
        Ok(Self { path, data })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the store atomically (temporary file, then rename), readable by its owner only.
    pub fn save(&self) -> Result<(), AccessError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| AccessError::io("user store", dir, e))?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(&self.data).expect("the store serialises");
        write_private(&tmp, &bytes).map_err(|e| AccessError::io("user store", &tmp, e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| AccessError::io("user store", &self.path, e))
    }

    pub fn users(&self) -> &[User] {
        &self.data.users
    }

    pub fn tokens(&self) -> &[TokenInfo] {
        &self.data.tokens
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.data.users.iter().find(|u| u.name == name)
    }

    /// Adds a user, or fails if the name is taken. Force codes are upper-cased.
    pub fn add_user(
        &mut self,
        name: &str,
        role: Role,
        forces: &[String],
        operations: &[String],
    ) -> Result<&User, AccessError> {
        check_name(name)?;
        if self.user(name).is_some() {
            return Err(AccessError::InvalidInput(format!(
                "user `{name}` already exists"
            )));
        }
        let forces: Vec<String> = forces
            .iter()
            .map(|f| f.trim().to_ascii_uppercase())
            .collect();
        if forces.is_empty() || forces.iter().any(|f| f.is_empty()) {
            return Err(AccessError::InvalidInput(
                "a user needs at least one force".to_owned(),
            ));
        }
        self.data.users.push(User {
            name: name.to_owned(),
            role,
            forces,
            operations: operations.iter().map(|o| o.trim().to_owned()).collect(),
            disabled: false,
            created_at: Utc::now(),
        });
        Ok(self.data.users.last().expect("just pushed"))
    }

    /// Disables a user: their tokens stop working at once.
    pub fn disable_user(&mut self, name: &str) -> Result<(), AccessError> {
        let user = self
            .data
            .users
            .iter_mut()
            .find(|u| u.name == name)
            .ok_or_else(|| AccessError::InvalidInput(format!("no user `{name}`")))?;
        user.disabled = true;
        Ok(())
    }

    /// Creates an API token for `user` and returns its id and the secret token, which
    /// is shown only this once.
    pub fn create_token(
        &mut self,
        user: &str,
        label: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(String, String), AccessError> {
        match self.user(user) {
            None => return Err(AccessError::InvalidInput(format!("no user `{user}`"))),
            Some(u) if u.disabled => {
                return Err(AccessError::InvalidInput(format!(
                    "user `{user}` is disabled"
                )));
            }
            Some(_) => {}
        }
        let id = random_hex(6);
        let token = format!("{TOKEN_PREFIX}{id}_{}", random_hex(24));
        self.data.tokens.push(TokenInfo {
            id: id.clone(),
            user: user.to_owned(),
            label: label.to_owned(),
            hash: hash_secret(&token),
            created_at: Utc::now(),
            expires_at,
            revoked_at: None,
        });
        Ok((id, token))
    }

    /// Revokes a token by id.
    pub fn revoke_token(&mut self, id: &str) -> Result<(), AccessError> {
        let token = self
            .data
            .tokens
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or_else(|| AccessError::InvalidInput(format!("no token `{id}`")))?;
        token.revoked_at.get_or_insert_with(Utc::now);
        Ok(())
    }

    /// The token record a presented token names, if its format is right.
    pub(crate) fn token_record(&self, token: &str) -> Option<&TokenInfo> {
        let id = token.strip_prefix(TOKEN_PREFIX)?.split('_').next()?;
        self.data.tokens.iter().find(|t| t.id == id)
    }

    /// Checks a presented token's secret against its hash (slow: argon2).
    #[cfg(test)]
    pub(crate) fn verify(&self, token: &str) -> Option<&TokenInfo> {
        self.token_record(token)
            .filter(|record| verify_secret(token, &record.hash))
    }
}

/// Whether `token` matches `hash` (argon2: tens of milliseconds). With no hash (an
/// unknown token id), a decoy hash is checked instead, so the answer takes as long and
/// timing does not tell which ids exist.
pub(crate) fn verify_token_secret(token: &str, hash: Option<&str>) -> bool {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match hash {
        Some(hash) => verify_secret(token, hash),
        None => {
            let _ = verify_secret(token, DECOY.get_or_init(|| hash_secret(&random_hex(24))));
            false
        }
    }
}

#[cfg(unix)]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stored_only_as_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        let mut store = UserStore::open(&path).unwrap();
        store
            .add_user("ana", Role::Analyst, &["wyp".into()], &[])
            .unwrap();
        let (id, token) = store.create_token("ana", "laptop", None).unwrap();
        store.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&token), "the secret must not be stored");
        assert!(text.contains("$argon2id$"));
        let store = UserStore::open(&path).unwrap();
        assert_eq!(store.user("ana").unwrap().forces, vec!["WYP"]);
        assert_eq!(store.verify(&token).unwrap().id, id);
        let forged = format!("{}x", &token[..token.len() - 1]);
        assert!(store.verify(&forged).is_none());
    }

    #[test]
    fn bad_users_are_refused() {
        let mut store = UserStore::open("/nonexistent/users.json").unwrap();
        assert!(
            store
                .add_user("a b", Role::Analyst, &["WYP".into()], &[])
                .is_err()
        );
        assert!(store.add_user("ana", Role::Analyst, &[], &[]).is_err());
        store
            .add_user("ana", Role::Analyst, &["WYP".into()], &[])
            .unwrap();
        assert!(
            store
                .add_user("ana", Role::Admin, &["WYP".into()], &[])
                .is_err()
        );
        assert!(store.create_token("bob", "", None).is_err());
    }
}
