//! Who may see what in toex. Users and their API tokens (stored only as argon2 hashes),
//! signed JWT bearer tokens from an identity provider, the roles and force compartments
//! a caller holds ([`Principal`]), per-user rate limits and the append-only, hash-chained
//! audit log. It knows nothing of HTTP: the server hands it header values.

mod audit;
mod authn;
mod error;
mod jwt;
mod limit;
mod principal;
mod pseudonym;
mod users;

pub use audit::{
    AuditEntry, AuditLog, AuditQuery, AuditRecord, Verification, load_or_create_key,
    mask_query_text, redact_variables, verify as verify_audit_log,
};
pub use authn::Authenticator;
pub use error::AccessError;
pub use jwt::{JwtClaims, JwtSettings, JwtVerifier};
pub use limit::RateLimiter;
pub use principal::{AuthMethod, Principal, Role};
pub use pseudonym::Pseudonyms;
pub use users::{TokenInfo, User, UserStore, hash_secret, random_hex};
