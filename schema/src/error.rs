//! The one table that maps every domain error to a GraphQL `extensions.code`. User faults
//! keep their message; runtime faults and bugs are logged in full and reach the client
//! only as a generic message with a reference to find the log line.

use async_graphql::ErrorExtensions;
use toex_access::AccessError;
use toex_analytics::AnalyticsError;
use toex_cpu::PoolError;
use toex_graph::GraphError;
use toex_indexer::IndexError;
use toex_inference::InferenceError;
use toex_pipeline::PipelineError;
use toex_scope::ScopeError;

/// Codes a client can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The request is invalid (bad argument, too large a page, malformed file).
    BadInput,
    /// The search query does not parse; `extensions.position` says where.
    BadQuery,
    NotFound,
    /// Neo4j cannot be reached; retry later.
    GraphUnavailable,
    /// A graph query ran past its time limit (Neo4j is up); ask for less.
    QueryTimeout,
    /// Neo4j's memory guard refused a graph query (Neo4j is up); ask for less.
    QueryTooLarge,
    /// The search index cannot be used.
    IndexUnavailable,
    /// A work queue is full; retry shortly.
    Overloaded,
    /// The model a request needs is not installed or failed to load.
    ModelUnavailable,
    /// No valid credentials.
    Unauthenticated,
    /// The caller's role or forces do not allow this.
    Forbidden,
    /// Too many requests from this user; retry later.
    RateLimited,
    /// No stated purpose (`X-Toex-Purpose`).
    PurposeRequired,
    /// The request ran past the server's time limit.
    Timeout,
    /// A bug or unexpected fault; details are only in the server log.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadInput => "BAD_INPUT",
            ErrorCode::BadQuery => "BAD_QUERY",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::GraphUnavailable => "GRAPH_UNAVAILABLE",
            ErrorCode::QueryTimeout => "QUERY_TIMEOUT",
            ErrorCode::QueryTooLarge => "QUERY_TOO_LARGE",
            ErrorCode::IndexUnavailable => "INDEX_UNAVAILABLE",
            ErrorCode::Overloaded => "OVERLOADED",
            ErrorCode::ModelUnavailable => "MODEL_UNAVAILABLE",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::PurposeRequired => "PURPOSE_REQUIRED",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

/// An error as a client sees it.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Character offset for `BAD_QUERY`.
    pub position: Option<usize>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            position: None,
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadInput, message)
    }

    /// Logs the real cause and returns an opaque error with a reference.
    fn internal(cause: &dyn std::fmt::Display) -> Self {
        let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        tracing::error!(%reference, error = %cause, "internal error");
        Self::new(
            ErrorCode::Internal,
            format!("internal error (reference {reference})"),
        )
    }
}

impl From<GraphError> for ApiError {
    fn from(err: GraphError) -> Self {
        match err {
            GraphError::Unavailable { .. } => {
                tracing::warn!(error = %err, "graph query failed: Neo4j unavailable");
                Self::new(
                    ErrorCode::GraphUnavailable,
                    "the graph database is unavailable; try again shortly",
                )
            }
            GraphError::Timeout(limit) => {
                tracing::warn!(error = %err, "graph query stopped at its time limit");
                Self::new(
                    ErrorCode::QueryTimeout,
                    format!(
                        "the graph query ran past its limit of {} and was stopped; the \
                         database is up. Ask for less: a narrower date window, fewer link \
                         hops, a smaller page or one force",
                        seconds(limit)
                    ),
                )
            }
            GraphError::TooLarge { .. } => {
                tracing::warn!(error = %err, "graph query refused by Neo4j's memory guard");
                Self::new(
                    ErrorCode::QueryTooLarge,
                    "the graph query needed more memory than the database allows one \
                     request and was stopped; the database is up. Ask for less: a narrower \
                     date window, fewer link hops, a smaller page or one force",
                )
            }
            GraphError::Conflict { .. } => {
                tracing::warn!(error = %err, "graph write kept conflicting with others");
                Self::new(
                    ErrorCode::Overloaded,
                    "the graph database is busy with conflicting writes; try again shortly",
                )
            }
            GraphError::InvalidInput(message) => Self::bad_input(message),
            GraphError::Config { .. } | GraphError::Query { .. } | GraphError::Decode(_) => {
                Self::internal(&err)
            }
        }
    }
}

impl From<IndexError> for ApiError {
    fn from(err: IndexError) -> Self {
        match err {
            IndexError::BadQuery { message, position } => Self {
                code: ErrorCode::BadQuery,
                message: match position {
                    Some(p) => format!("bad query at character {p}: {message}"),
                    None => format!("bad query: {message}"),
                },
                position,
            },
            IndexError::InvalidDocument(message) => Self::bad_input(message),
            IndexError::TooLarge(message) => {
                Self::bad_input(format!("the search is too large: {message}"))
            }
            IndexError::Open { .. } => {
                tracing::error!(error = %err, "search index unavailable");
                Self::new(
                    ErrorCode::IndexUnavailable,
                    "the search index is unavailable",
                )
            }
            IndexError::Model(message) => Self::new(ErrorCode::ModelUnavailable, message),
            IndexError::Tantivy(_) | IndexError::Jobs(_) => Self::internal(&err),
        }
    }
}

impl From<AnalyticsError> for ApiError {
    fn from(err: AnalyticsError) -> Self {
        match err {
            AnalyticsError::InvalidInput(message) => Self::bad_input(message),
            AnalyticsError::Config { .. } => Self::internal(&err),
        }
    }
}

impl From<InferenceError> for ApiError {
    fn from(err: InferenceError) -> Self {
        match err {
            InferenceError::Model(message) => Self::new(ErrorCode::ModelUnavailable, message),
            InferenceError::InvalidDocument(message) => Self::bad_input(message),
        }
    }
}

impl From<PipelineError> for ApiError {
    fn from(err: PipelineError) -> Self {
        match err {
            PipelineError::Graph(e) => e.into(),
            PipelineError::Index(e) => e.into(),
            PipelineError::Inference(e) => e.into(),
            PipelineError::Pool(e) => e.into(),
            PipelineError::Analytics(e) => e.into(),
            PipelineError::Cluster(e) => e.into(),
            PipelineError::Overloaded(message) => Self::new(ErrorCode::Overloaded, message),
            PipelineError::InvalidInput(message) => Self::bad_input(message),
            PipelineError::Open { .. } | PipelineError::Bundle(_) | PipelineError::Models(_) => {
                Self::internal(&err)
            }
            PipelineError::Shared(shared) => match std::sync::Arc::try_unwrap(shared) {
                Ok(err) => err.into(),
                Err(shared) => match shared.bad_input() {
                    Some(message) => Self::bad_input(message),
                    None => Self::internal(&shared),
                },
            },
        }
    }
}

impl From<toex_cluster::ClusterError> for ApiError {
    fn from(err: toex_cluster::ClusterError) -> Self {
        use toex_cluster::ClusterError as E;
        match err {
            E::TooLarge { .. } => Self::bad_input(err.to_string()),
            // The log, its quorum or this replica's follower is not there: writes to the
            // index cannot be made now; retry later.
            E::Connect { .. } | E::Stream { .. } | E::Publish { .. } | E::Lagging { .. } => {
                Self::new(ErrorCode::IndexUnavailable, err.to_string())
            }
            E::Encode(_) | E::Settings(_) => Self::internal(&err),
        }
    }
}

impl From<PoolError> for ApiError {
    fn from(err: PoolError) -> Self {
        match err {
            PoolError::Overloaded { .. } => Self::new(ErrorCode::Overloaded, err.to_string()),
            PoolError::Panicked { .. } | PoolError::Build { .. } => Self::internal(&err),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(err: AccessError) -> Self {
        match err {
            AccessError::Unauthenticated(m) => Self::new(ErrorCode::Unauthenticated, m),
            AccessError::Forbidden(m) => Self::new(ErrorCode::Forbidden, m),
            AccessError::RateLimited { .. } => Self::new(ErrorCode::RateLimited, err.to_string()),
            AccessError::InvalidInput(m) => Self::bad_input(m),
            AccessError::Config { .. } | AccessError::Io { .. } | AccessError::Corrupt { .. } => {
                Self::internal(&err)
            }
        }
    }
}

impl From<ScopeError> for ApiError {
    fn from(err: ScopeError) -> Self {
        match err {
            ScopeError::BadForce(_) => Self::bad_input(err.to_string()),
            ScopeError::NoForces
            | ScopeError::ForceNotHeld(_)
            | ScopeError::OperationNotHeld(_) => Self::new(ErrorCode::Forbidden, err.to_string()),
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        async_graphql::Error::new(err.message).extend_with(|_, ext| {
            ext.set("code", err.code.as_str());
            if let Some(p) = err.position {
                ext.set("position", p as u64);
            }
        })
    }
}

/// Puts the field a too-large graph query answered for at the head of its message
/// ("threatProfile: the graph query ran past …"), so the analyst knows which part of
/// the page to narrow.
pub(crate) fn name_what_was_asked(errors: &mut [async_graphql::ServerError]) {
    const NAMED: [ErrorCode; 2] = [ErrorCode::QueryTimeout, ErrorCode::QueryTooLarge];
    for err in errors {
        let code = err.extensions.as_ref().and_then(|e| e.get("code"));
        let named = NAMED
            .iter()
            .any(|c| matches!(code, Some(async_graphql::Value::String(s)) if s == c.as_str()));
        let field = err.path.iter().rev().find_map(|segment| match segment {
            async_graphql::PathSegment::Field(name) => Some(name.clone()),
            async_graphql::PathSegment::Index(_) => None,
        });
        if let (true, Some(field)) = (named, field) {
            err.message = format!("{field}: {}", err.message);
        }
    }
}

/// A limit as people say it: "10 s", "250 ms".
fn seconds(limit: std::time::Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{} s", limit.as_secs())
    } else if limit.as_secs() == 0 {
        format!("{} ms", limit.as_millis())
    } else {
        format!("{:.1} s", limit.as_secs_f64())
    }
}

/// Result type for resolvers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_never_reach_the_client() {
        let err: ApiError = GraphError::Query {
            code: "Neo.ClientError.Statement.SyntaxError".to_owned(),
            message: "secret cypher text".to_owned(),
        }
        .into();
        assert_eq!(err.code, ErrorCode::Internal);
        assert!(!err.message.contains("secret"), "{}", err.message);
    }

    #[test]
    fn outages_map_to_graph_unavailable() {
        let err: ApiError = GraphError::Unavailable {
            reason: "connection refused at 10.0.0.5".to_owned(),
        }
        .into();
        assert_eq!(err.code.as_str(), "GRAPH_UNAVAILABLE");
        assert!(!err.message.contains("10.0.0.5"));
    }

    #[test]
    fn a_slow_or_memory_hungry_graph_query_is_not_reported_as_an_outage() {
        let slow: ApiError = GraphError::Timeout(std::time::Duration::from_secs(10)).into();
        assert_eq!(slow.code.as_str(), "QUERY_TIMEOUT");
        assert!(slow.message.contains("10 s"), "{}", slow.message);
        assert!(
            slow.message.contains("narrower date window"),
            "{}",
            slow.message
        );
        let big: ApiError = GraphError::TooLarge {
            code: "Neo.TransientError.General.MemoryPoolOutOfMemoryError".to_owned(),
            message: "dbms.memory.transaction.total.max threshold reached".to_owned(),
        }
        .into();
        assert_eq!(big.code.as_str(), "QUERY_TOO_LARGE");
        assert!(!big.message.contains("dbms."), "{}", big.message);
    }

    #[test]
    fn bad_queries_carry_their_position() {
        let err: ApiError = IndexError::BadQuery {
            message: "unbalanced".to_owned(),
            position: Some(7),
        }
        .into();
        let gql: async_graphql::Error = err.into();
        let ext = gql.extensions.unwrap();
        assert_eq!(ext.get("code").unwrap().to_string(), "\"BAD_QUERY\"");
        assert_eq!(ext.get("position").unwrap().to_string(), "7");
    }
}
