//! The analytics crate's error type: bad input to a computation, or a method file that
//! cannot describe a working method.

/// Errors from the pure analytics.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The caller's input was rejected before any computation ran.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A method or table file (profiles, harm) cannot be read or does not parse.
    #[error("invalid setting `{setting}`: {reason}")]
    Config {
        setting: &'static str,
        reason: String,
    },
}
