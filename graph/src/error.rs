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
    /// A query ran longer than the configured timeout (toex's, or Neo4j's own
    /// transaction timeout). Neo4j is up; the question was too big for the time allowed.
    #[error("Neo4j query ran past its limit of {0:?}")]
    Timeout(Duration),
    /// Neo4j's memory guard stopped the query (a transaction over its own cap or the
    /// shared transaction pool). Neo4j is up; the question needs too much memory.
    #[error("Neo4j refused a query over its memory limit ({code}): {message}")]
    TooLarge { code: String, message: String },
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
    /// Whether the same work may succeed later without changing it: Neo4j is down, or
    /// too busy to answer in time. Callers that can do without the graph for now (an
    /// ingest that writes its nodes later, a page that leaves out its graph part) go on.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            GraphError::Unavailable { .. } | GraphError::Timeout(_)
        )
    }

    /// A timeout reported by Neo4j itself carries no limit; name the one toex set.
    pub(crate) fn with_limit(self, limit: Duration) -> Self {
        match self {
            GraphError::Timeout(d) if d.is_zero() => GraphError::Timeout(limit),
            other => other,
        }
    }

    /// Classifies a failure Neo4j reported by its status code.
    fn from_status(code: &str, message: &str) -> Self {
        let (code, message) = (code.to_owned(), message.to_owned());
        // A transaction over its memory cap or its time is this request's fault, not
        // an outage.
        if is_memory_guard(&code) {
            GraphError::TooLarge { code, message }
        } else if is_server_timeout(&code) {
            GraphError::Timeout(Duration::ZERO)
        } else if code.starts_with("Neo.TransientError.Transaction") {
            GraphError::Conflict { code, message }
        } else if code.starts_with("Neo.TransientError")
            || code.contains("Security")
            || is_not_the_leader(&code)
        {
            GraphError::Unavailable {
                reason: format!("{code}: {message}"),
            }
        } else {
            GraphError::Query { code, message }
        }
    }
}

/// Neo4j's codes for a transaction stopped by its memory guard: over its own cap
/// (`db.memory.transaction.max`) or the shared pool (`dbms.memory.transaction.total.max`).
fn is_memory_guard(code: &str) -> bool {
    code.contains("OutOfMemory") || code.contains("MemoryLimit")
}

/// Neo4j's codes for a write sent to a server that is no longer (or never was) the
/// cluster's leader: the routing table is out of date, which is an outage of that server
/// for writes, not a bad query.
fn is_not_the_leader(code: &str) -> bool {
    code == "Neo.ClientError.Cluster.NotALeader"
        || code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase"
}

/// Neo4j's codes for a transaction stopped by its own timeout (`db.transaction.timeout`
/// or the client's).
fn is_server_timeout(code: &str) -> bool {
    code.starts_with("Neo.ClientError.Transaction.TransactionTimedOut")
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
            E::Neo4j(e) => GraphError::from_status(e.code(), e.message()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neo4js_memory_guard_and_timeouts_are_the_requests_fault_not_an_outage() {
        let class = |code: &str| GraphError::from_status(code, "m");
        for code in [
            "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
            "Neo.ClientError.General.TransactionOutOfMemoryError",
            "Neo.TransientError.General.TransactionMemoryLimit",
        ] {
            assert!(matches!(class(code), GraphError::TooLarge { .. }), "{code}");
            assert!(!class(code).is_transient(), "{code}");
        }
        for code in [
            "Neo.ClientError.Transaction.TransactionTimedOut",
            "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
        ] {
            let err = class(code).with_limit(Duration::from_secs(10));
            assert!(
                matches!(err, GraphError::Timeout(d) if d == Duration::from_secs(10)),
                "{code}"
            );
        }
        assert!(matches!(
            class("Neo.TransientError.Transaction.DeadlockDetected"),
            GraphError::Conflict { .. }
        ));
        assert!(matches!(
            class("Neo.TransientError.General.DatabaseUnavailable"),
            GraphError::Unavailable { .. }
        ));
        assert!(matches!(
            class("Neo.ClientError.Statement.SyntaxError"),
            GraphError::Query { .. }
        ));
    }
}
