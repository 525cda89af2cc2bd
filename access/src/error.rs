//! The access crate's errors.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// No credentials, or credentials that do not verify. The message is safe to show.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but the role or compartment does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// Too many requests from one user.
    #[error("rate limit exceeded: at most {per_minute} requests a minute")]
    RateLimited { per_minute: u32 },
    /// A bad name, role, force or argument from the CLI or the API.
    #[error("{0}")]
    InvalidInput(String),
    /// Key or key-set files that cannot be used.
    #[error("{what} `{}`: {reason}", path.display())]
    Config {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    /// Reading or writing the user store or the audit log failed.
    #[error("{what} `{}`: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A store or log file that does not parse.
    #[error("{what} `{}` is corrupt: {reason}", path.display())]
    Corrupt {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
}

impl AccessError {
    pub(crate) fn io(what: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            what,
            path: path.to_owned(),
            source,
        }
    }
}
