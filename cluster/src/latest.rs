//! The latest value per key on a JetStream stream (one message kept per subject): what a
//! key-value bucket is underneath, made directly so that NATS 2.9 servers take it too.
//! Job snapshots and work outcomes live here, readable from any process.

use std::time::Duration;

use async_nats::jetstream::Context;
use async_nats::jetstream::stream::{Config, RawMessageErrorKind, StorageType, Stream};

use crate::{ClusterError, Nats};

/// Values kept a week after their last write.
const KEEP: Duration = Duration::from_secs(7 * 24 * 3600);

/// One stream of latest values, keyed by the last token of `prefix.<key>`.
pub struct Latest {
    js: Context,
    stream: Stream,
    prefix: String,
}

impl Latest {
    /// Makes (or finds) stream `name` over subjects `prefix.*`.
    pub async fn open(nats: &Nats, name: &str, prefix: &str) -> Result<Self, ClusterError> {
        let config = Config {
            name: name.to_owned(),
            subjects: vec![format!("{prefix}.*")],
            max_messages_per_subject: 1,
            max_age: KEEP,
            storage: StorageType::File,
            num_replicas: nats.settings.stream_replicas,
            ..Default::default()
        };
        let js = &nats.js;
        let stream = crate::log::patiently(&format!("making stream {name}"), || {
            js.get_or_create_stream(config.clone())
        })
        .await?;
        Ok(Self {
            js: js.clone(),
            stream,
            prefix: prefix.to_owned(),
        })
    }

    /// Stores `value` as `key`'s latest, once the stream has it.
    pub async fn put(&self, key: &str, value: Vec<u8>) -> Result<(), ClusterError> {
        let failed = |e: String| ClusterError::Publish {
            stream: self.prefix.clone(),
            reason: e,
        };
        self.js
            .publish(format!("{}.{}", self.prefix, key_of(key)), value.into())
            .await
            .map_err(|e| failed(e.to_string()))?
            .await
            .map_err(|e| failed(e.to_string()))?;
        Ok(())
    }

    /// `key`'s latest value, if it has one.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, ClusterError> {
        let last = self
            .stream
            .raw_message_builder()
            .last_by_subject(format!("{}.{}", self.prefix, key_of(key)))
            .send()
            .await;
        match last {
            Ok(message) => Ok(Some(message.payload.to_vec())),
            Err(e) if e.kind() == RawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(ClusterError::Stream {
                what: format!("reading {}", self.prefix),
                reason: e.to_string(),
            }),
        }
    }
}

/// A key a subject token takes: letters, digits, `-`, `_` (anything else becomes `_`).
pub fn key_of(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
