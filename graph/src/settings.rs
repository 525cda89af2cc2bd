//! Connection settings for Neo4j, validated before anything connects.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::GraphError;

const SCHEMES: &[&str] = &[
    "bolt",
    "bolt+s",
    "bolt+ssc",
    "neo4j",
    "neo4j+s",
    "neo4j+ssc",
];

/// Where Neo4j is and how to talk to it. Production points these at the force's own cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphSettings {
    /// Bolt URI, e.g. `bolt://127.0.0.1:7687` or `neo4j+s://graph.force.police.uk:7687`.
    pub uri: String,
    pub user: String,
    /// Empty when the server runs without authentication (the embedded development default).
    pub password: String,
    /// Upper bound for one query, in milliseconds. A query past it is stopped and answers
    /// QUERY_TIMEOUT; Neo4j is not marked down (see [`Self::upkeep_timeout`]).
    pub query_timeout_ms: u64,
    /// Pool size.
    pub max_connections: usize,
    /// How often the connectivity monitor probes Neo4j while it is down, in milliseconds.
    pub retry_interval_ms: u64,
    /// With a `neo4j://` URI (a cluster, reads spread over its readers): for this many
    /// milliseconds after one of this process's writes, its reads go to the leader, which
    /// has that write (a reader may not have applied it yet, and the stable Bolt driver
    /// carries no bookmarks to wait for it). 0 sends every read to a reader.
    pub read_own_writes_ms: u64,
    /// Whether `toex serve` plans the analysts' page queries in the background each time
    /// Neo4j comes up, so the first page after a start does not wait for Cypher planning.
    pub warm_plans: bool,
}

impl Default for GraphSettings {
    fn default() -> Self {
        Self {
            uri: "bolt://127.0.0.1:7687".to_owned(),
            user: "neo4j".to_owned(),
            password: String::new(),
            query_timeout_ms: 10_000,
            max_connections: 16,
            retry_interval_ms: 1_000,
            read_own_writes_ms: 2_000,
            warm_plans: true,
        }
    }
}

impl GraphSettings {
    pub fn query_timeout(&self) -> Duration {
        Duration::from_millis(self.query_timeout_ms)
    }

    /// The limit for the connection's own upkeep (the connectivity probe, schema
    /// migrations): at least 10 s whatever the query limit, so a short query limit never
    /// reads as an outage.
    pub fn upkeep_timeout(&self) -> Duration {
        self.query_timeout().max(Duration::from_secs(10))
    }

    pub fn retry_interval(&self) -> Duration {
        Duration::from_millis(self.retry_interval_ms)
    }

    /// The URI without credentials, safe to log and to show in `/health`.
    pub fn display_uri(&self) -> &str {
        &self.uri
    }

    /// Checks every value and names the first bad one.
    pub fn validate(&self) -> Result<(), GraphError> {
        let bad = |setting, reason: String| Err(GraphError::Config { setting, reason });
        let Some((scheme, rest)) = self.uri.split_once("://") else {
            return bad(
                "neo4j.uri",
                format!("`{}` is not a URI like bolt://host:7687", self.uri),
            );
        };
        if !SCHEMES.contains(&scheme) {
            return bad(
                "neo4j.uri",
                format!("scheme `{scheme}` is not one of {}", SCHEMES.join(", ")),
            );
        }
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
            return bad(
                "neo4j.uri",
                format!(
                    "`{}` must be scheme://host[:port] with no path or credentials",
                    self.uri
                ),
            );
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, Some(p)),
            _ => (authority, None),
        };
        if host.is_empty() {
            return bad("neo4j.uri", format!("`{}` has no host", self.uri));
        }
        if let Some(port) = port
            && !matches!(port.parse::<u16>(), Ok(p) if p > 0)
        {
            return bad(
                "neo4j.uri",
                format!(
                    "port `{port}` in `{}` is not a number from 1 to 65535",
                    self.uri
                ),
            );
        }
        if self.user.is_empty() {
            return bad("neo4j.user", "must not be empty".to_owned());
        }
        if self.query_timeout_ms == 0 {
            return bad(
                "neo4j.query_timeout_ms",
                "must be greater than 0".to_owned(),
            );
        }
        if self.max_connections == 0 {
            return bad("neo4j.max_connections", "must be greater than 0".to_owned());
        }
        if self.retry_interval_ms == 0 {
            return bad(
                "neo4j.retry_interval_ms",
                "must be greater than 0".to_owned(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_uri(uri: &str) -> GraphSettings {
        GraphSettings {
            uri: uri.to_owned(),
            ..GraphSettings::default()
        }
    }

    #[test]
    fn accepts_the_usual_uris() {
        for uri in [
            "bolt://127.0.0.1:7687",
            "neo4j+s://graph.example.police.uk:7687",
            "bolt://localhost",
            "bolt://[::1]:7687",
        ] {
            assert!(with_uri(uri).validate().is_ok(), "{uri}");
        }
    }

    #[test]
    fn rejects_malformed_uris_naming_the_setting() {
        for uri in [
            "localhost:7687",
            "http://localhost:7474",
            "bolt://",
            "bolt://host:99999",
            "bolt://host:port",
            "bolt://user:pw@host:7687",
            "bolt://host:7687/db",
        ] {
            let err = with_uri(uri).validate().unwrap_err().to_string();
            assert!(err.contains("neo4j.uri"), "{uri}: {err}");
        }
    }
}
