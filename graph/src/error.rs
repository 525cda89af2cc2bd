//! The graph crate's error type: what can go wrong talking to Neo4j, classified so that
//! callers can tell an outage from a bad request from a bug.

use std::time::Duration;

/// Errors from the graph layer.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Neo4j cannot be reached, refused the login, or is shutting down. Retry later.
    #[error("Neo4j is unavailable: {reason}")]
    Unavailable { reason: String },
    /// A transaction lost a race with another (deadlock, lock timeout, outdated view).
    /// Neo4j is up; the same work may simply be run again.
    #[error("Neo4j transaction conflict ({code}): {message}")]
    Conflict { code: String, message: String },
    /// A query ran longer than the configured timeout.
    #[error("Neo4j query timed out after {0:?}")]
    Timeout(Duration),
    /// The settings cannot describe a working connection (malformed URI, unknown scheme).
    #[error("invalid Neo4j setting `{setting}`: {reason}")]
    Config {
        setting: &'static str,
        reason: String,
    },
    /// The caller's input was rejected before any query ran.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Neo4j rejected a statement; since every statement is fixed, this is a bug.
    #[error("Neo4j rejected a query ({code}): {message}")]
    Query { code: String, message: String },
    /// A row did not have the shape the query promised; also a bug.
    #[error("could not decode a Neo4j result: {0}")]
    Decode(String),
}

impl GraphError {
    /// Whether this error means "Neo4j is not there" rather than "this request failed".
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            GraphError::Unavailable { .. } | GraphError::Timeout(_)
        )
    }
}

impl From<neo4rs::Error> for GraphError {
    fn from(err: neo4rs::Error) -> Self {
        use neo4rs::Error as E;
        match err {
            E::IOError { .. }
            | E::ConnectionError
            | E::ConnectionTimedOut
            | E::IncompleteBoltExchange
            | E::ServerUnavailableError(_)
            | E::RequestIgnoredError
            | E::AuthenticationError(_)
            | E::ProtocolMismatch(_)
            | E::UnsupportedVersion(..) => GraphError::Unavailable {
                reason: err.to_string(),
            },
            E::Neo4j(e) => {
                let code = e.code().to_owned();
                // A transaction over its memory cap is this request's fault, not an outage.
                let too_big = code.contains("MemoryPoolOutOfMemory");
                if code.starts_with("Neo.TransientError.Transaction") && !too_big {
                    GraphError::Conflict {
                        code,
                        message: e.message().to_owned(),
                    }
                } else if !too_big
                    && (code.starts_with("Neo.TransientError") || code.contains("Security"))
                {
                    GraphError::Unavailable {
                        reason: format!("{code}: {}", e.message()),
                    }
                } else {
                    GraphError::Query {
                        code,
                        message: e.message().to_owned(),
                    }
                }
            }
            E::DeserializationError(e) => GraphError::Decode(e.to_string()),
            E::UrlParseError(e) => GraphError::Config {
                setting: "neo4j.uri",
                reason: e.to_string(),
            },
            E::UnsupportedScheme(s) => GraphError::Config {
                setting: "neo4j.uri",
                reason: format!("unsupported scheme `{s}`"),
            },
            other => GraphError::Query {
                code: "driver".to_owned(),
                message: other.to_string(),
            },
        }
    }
}

impl From<neo4rs::DeError> for GraphError {
    fn from(err: neo4rs::DeError) -> Self {
        GraphError::Decode(err.to_string())
    }
}
