//! The inference crate's error type, and the helpers its loaders share.

/// Errors from loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    /// A model cannot be loaded or run, or the one a request needs is not installed.
    #[error("model: {0}")]
    Model(String),
    /// The input cannot be used (unreadable audio, too long a text).
    #[error("invalid document: {0}")]
    InvalidDocument(String),
}

/// The first line of an error (candle appends a backtrace when one was captured).
pub(crate) fn first_line(e: impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_owned()
}

/// A model's id for provenance: its folder's name (else `fallback`), `@`, its weights'
/// digest, and `+int8` when they run quantised.
pub(crate) fn model_id(
    dir: &std::path::Path,
    fallback: &str,
    digest: &str,
    precision: crate::linear::Precision,
) -> String {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or(fallback);
    match precision {
        crate::linear::Precision::F32 => format!("{name}@{digest}"),
        crate::linear::Precision::Int8 => format!("{name}@{digest}+int8"),
    }
}

/// A model's weights named for provenance: the first 12 hex digits of their SHA-256.
pub(crate) fn weights_digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
