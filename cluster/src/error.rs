//! What can go wrong between toex and NATS JetStream.

/// A failure reaching or using the NATS cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No NATS server answered at the configured address.
    #[error("cannot reach NATS at {url}: {reason}")]
    Connect { url: String, reason: String },
    /// A stream or consumer could not be made or read (no JetStream, no quorum).
    #[error("JetStream {what}: {reason}")]
    Stream { what: String, reason: String },
    /// An entry was not stored by the cluster in time (its acknowledgement never came).
    #[error("publishing to {stream}: {reason}")]
    Publish { stream: String, reason: String },
    /// An entry larger than the stream takes.
    #[error("an entry of {bytes} bytes is over the {limit}-byte limit of the {stream} stream")]
    TooLarge {
        stream: String,
        bytes: usize,
        limit: usize,
    },
    /// This replica did not apply a published entry in time.
    #[error("this replica has not applied entry {sequence} of {stream} after {waited_ms} ms")]
    Lagging {
        stream: String,
        sequence: u64,
        waited_ms: u64,
    },
    #[error("encoding an entry: {0}")]
    Encode(String),
    #[error("invalid NATS settings: {0}")]
    Settings(String),
}
