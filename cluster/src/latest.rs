//! The latest value per key on a JetStream stream (one message kept per subject): what a
//! key-value bucket is underneath, made directly so that NATS 2.9 servers take it too.
//! Job snapshots, job leases and work outcomes live here, readable from any process;
//! a write can be made conditional on the key's last sequence (compare-and-set).

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE;
use async_nats::jetstream::Context;
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::stream::{Config, RawMessageErrorKind, StorageType, Stream};
use futures::TryStreamExt;

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
    /// Makes (or finds) stream `name` over subjects `prefix.*`, each value kept a week.
    pub async fn open(nats: &Nats, name: &str, prefix: &str) -> Result<Self, ClusterError> {
        Self::open_keeping(nats, name, prefix, KEEP).await
    }

    /// As [`Latest::open`], each value kept `keep` (zero: until replaced).
    pub async fn open_keeping(
        nats: &Nats,
        name: &str,
        prefix: &str,
        keep: Duration,
    ) -> Result<Self, ClusterError> {
        let config = Config {
            name: name.to_owned(),
            subjects: vec![format!("{prefix}.*")],
            max_messages_per_subject: 1,
            max_age: keep,
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
            .publish(self.subject(key), value.into())
            .await
            .map_err(|e| failed(e.to_string()))?
            .await
            .map_err(|e| failed(e.to_string()))?;
        Ok(())
    }

    /// `key`'s latest value, if it has one.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, ClusterError> {
        Ok(self.last(key).await?.map(|(value, _)| value))
    }

    /// `key`'s latest value and its sequence in the stream (which every write changes),
    /// if it has one.
    pub async fn last(&self, key: &str) -> Result<Option<(Vec<u8>, u64)>, ClusterError> {
        self.last_on(&self.subject(key)).await
    }

    /// Stores `value` as `key`'s latest only if the key's last sequence is still
    /// `expected` (0: no value): the new sequence, or `None` when another write came
    /// first (a compare-and-set, so of two racing writers one wins).
    pub async fn put_expecting(
        &self,
        key: &str,
        value: Vec<u8>,
        expected: u64,
    ) -> Result<Option<u64>, ClusterError> {
        let failed = |e: String| ClusterError::Publish {
            stream: self.prefix.clone(),
            reason: e,
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
            expected.to_string().as_str(),
        );
        let sent = self
            .js
            .publish_with_headers(self.subject(key), headers, value.into())
            .await
            .map_err(|e| failed(e.to_string()))?;
        match sent.await {
            Ok(ack) => Ok(Some(ack.sequence)),
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => Ok(None),
            Err(e) => Err(failed(e.to_string())),
        }
    }

    /// Removes `key`'s value.
    pub async fn remove(&self, key: &str) -> Result<(), ClusterError> {
        let subject = self.subject(key);
        crate::log::patiently(&format!("removing {subject}"), || async {
            self.stream.purge().filter(subject.clone()).await
        })
        .await?;
        Ok(())
    }

    /// Every key's latest value, with its sequence.
    pub async fn all(&self) -> Result<Vec<(Vec<u8>, u64)>, ClusterError> {
        let failed = |e: String| ClusterError::Stream {
            what: format!("listing {}", self.prefix),
            reason: e,
        };
        let subjects: Vec<(String, usize)> = self
            .stream
            .info_with_subjects(format!("{}.*", self.prefix))
            .await
            .map_err(|e| failed(e.to_string()))?
            .try_collect()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let mut values = Vec::with_capacity(subjects.len());
        for (subject, _) in subjects {
            if let Some(value) = self.last_on(&subject).await? {
                values.push(value);
            }
        }
        Ok(values)
    }

    /// The subject `key`'s values are published on (a core subscription to it hears each
    /// new value as it is stored).
    pub(crate) fn subject(&self, key: &str) -> String {
        format!("{}.{}", self.prefix, key_of(key))
    }

    async fn last_on(&self, subject: &str) -> Result<Option<(Vec<u8>, u64)>, ClusterError> {
        let last = self
            .stream
            .raw_message_builder()
            .last_by_subject(subject.to_owned())
            .send()
            .await;
        match last {
            Ok(message) => Ok(Some((message.payload.to_vec(), message.sequence))),
            Err(e) if e.kind() == RawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(ClusterError::Stream {
                what: format!("reading {subject}"),
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
