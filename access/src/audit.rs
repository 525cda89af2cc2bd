//! The audit trail: one JSON line per GraphQL operation, append-only and hash-chained.
//! Each line is `{"entry": {…}, "mac": "…"}` where `mac` = HMAC-SHA256(key, previous mac
//! ‖ the entry's exact bytes). A head file holds the last sequence number and mac, itself
//! MAC'd, and is written when the log is created, so `verify` finds an edited, removed,
//! inserted or reordered line, a cut-off tail, a rewritten head and a missing one.
//! Whoever holds the key can rewrite the chain: keep the key file readable only by the
//! service account, and anchor `verify`'s last mac elsewhere (e.g. a daily syslog line).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::Sha256;

use crate::users::write_private as write_private_file;
use crate::{AccessError, Role};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What the caller records about one operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub user: String,
    pub role: Role,
    pub forces: Vec<String>,
    pub operation: Option<String>,
    /// The operation compartments the caller was confined to (empty: none).
    #[serde(default)]
    pub operations: Vec<String>,
    /// SHA-256 of the query text.
    pub query_hash: String,
    /// The query text as sent, long string literals masked ([`mask_query_text`]), so an
    /// inline `search(queryText: "…")` can be read back.
    #[serde(default)]
    pub query: String,
    /// The variables, with sensitive values redacted ([`redact_variables`]).
    pub variables: Value,
    pub result_count: u64,
    pub purpose: String,
    /// `ok`, `error` or `refused`.
    pub outcome: String,
}

/// One line of the log as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub record: AuditRecord,
}

#[derive(Serialize)]
struct LineOut<'a> {
    entry: &'a RawValue,
    mac: &'a str,
}

#[derive(Deserialize)]
struct LineIn<'a> {
    #[serde(borrow)]
    entry: &'a RawValue,
    mac: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Head {
    seq: u64,
    mac: String,
    /// HMAC of `seq` and `mac`: without the key, a head cannot be rewritten to match a
    /// log cut short.
    #[serde(default)]
    head_mac: String,
}

impl Head {
    fn new(key: &[u8], seq: u64, last: &str) -> Self {
        Self {
            seq,
            mac: last.to_owned(),
            head_mac: Self::sign(key, seq, last),
        }
    }

    fn sign(key: &[u8], seq: u64, last: &str) -> String {
        mac(key, "head", format!("{seq}:{last}").as_bytes())
    }

    fn signed(&self, key: &[u8]) -> bool {
        self.head_mac == Self::sign(key, self.seq, &self.mac)
    }

    /// Replaces the head file atomically.
    fn write(&self, log: &Path) -> Result<(), AccessError> {
        let head = head_path(log);
        let tmp = head.with_extension("head.tmp");
        let bytes = serde_json::to_vec(self).expect("head serialises");
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &head))
            .map_err(|e| AccessError::io("audit head", &head, e))
    }
}

struct State {
    file: std::fs::File,
    seq: u64,
    mac: String,
}

/// An open audit log; appends are serialised by a lock.
pub struct AuditLog {
    path: PathBuf,
    key: Vec<u8>,
    state: Mutex<State>,
}

/// Filters for reading the log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub user: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: usize,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub entries: u64,
    pub last_seq: u64,
    pub last_mac: String,
    /// Empty when the log is intact; otherwise each break, with its line number.
    pub problems: Vec<String>,
}

impl Verification {
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }
}

fn mac(key: &[u8], prev: &str, entry: &[u8]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(prev.as_bytes());
    m.update(b"\n");
    m.update(entry);
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn head_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".head");
    PathBuf::from(name)
}

/// Reads the key file, creating it (32 random bytes, owner-only) when absent.
pub fn load_or_create_key(path: &Path) -> Result<Vec<u8>, AccessError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let text = text.trim();
            if text.len() < 32 {
                return Err(AccessError::Config {
                    what: "audit key",
                    path: path.to_owned(),
                    reason: "shorter than 32 characters".to_owned(),
                });
            }
            Ok(text.as_bytes().to_vec())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| AccessError::io("audit key", dir, e))?;
            }
            let key = crate::random_hex(32);
            write_private_file(path, key.as_bytes())
                .map_err(|e| AccessError::io("audit key", path, e))?;
            Ok(key.into_bytes())
        }
        Err(e) => Err(AccessError::io("audit key", path, e)),
    }
}

impl AuditLog {
    /// Pseudonyms for protected persons, keyed from this log's key (so they are stable
    /// across restarts and replicas sharing it).
    pub fn pseudonyms(&self) -> crate::Pseudonyms {
        crate::Pseudonyms::derived_from(&self.key)
    }

    /// Opens (or creates) the log at `path` with the HMAC key in `key_file` (created when
    /// absent). It continues the chain from the head file.
    pub fn open(path: impl Into<PathBuf>, key_file: &Path) -> Result<Self, AccessError> {
        let path = path.into();
        let key = load_or_create_key(key_file)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| AccessError::io("audit log", dir, e))?;
        }
        let (seq, mac) = match std::fs::read(head_path(&path)) {
            Ok(bytes) => {
                let head: Head =
                    serde_json::from_slice(&bytes).map_err(|e| AccessError::Corrupt {
                        what: "audit head",
                        path: head_path(&path),
                        reason: e.to_string(),
                    })?;
                (head.seq, head.mac)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let empty = std::fs::metadata(&path)
                    .map(|m| m.len() == 0)
                    .unwrap_or(true);
                if !empty {
                    return Err(AccessError::Corrupt {
                        what: "audit log",
                        path,
                        reason: "the head file is missing; run `toex audit verify`".to_owned(),
                    });
                }
                // A new log has a head from the start: a log without one was tampered with.
                Head::new(&key, 0, GENESIS).write(&path)?;
                (0, GENESIS.to_owned())
            }
            Err(e) => return Err(AccessError::io("audit head", &head_path(&path), e)),
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| AccessError::io("audit log", &path, e))?;
        Ok(Self {
            path,
            key,
            state: Mutex::new(State { file, seq, mac }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry and moves the head. Returns the stored entry.
    pub fn append(&self, record: AuditRecord) -> Result<AuditEntry, AccessError> {
        let mut state = self.state.lock().expect("audit lock");
        let entry = AuditEntry {
            seq: state.seq + 1,
            at: Utc::now(),
            record,
        };
        let body = serde_json::to_string(&entry).expect("audit entries serialise");
        let mac = mac(&self.key, &state.mac, body.as_bytes());
        let raw = RawValue::from_string(body).expect("serde_json output is JSON");
        let mut line = serde_json::to_vec(&LineOut {
            entry: &raw,
            mac: &mac,
        })
        .expect("lines serialise");
        line.push(b'\n');
        state
            .file
            .write_all(&line)
            .map_err(|e| AccessError::io("audit log", &self.path, e))?;
        Head::new(&self.key, entry.seq, &mac).write(&self.path)?;
        state.seq = entry.seq;
        state.mac = mac;
        Ok(entry)
    }

    /// Entries matching `query`, newest first, at most `query.limit`. Reads without
    /// the append lock (lines are written whole; a line still being written is skipped),
    /// so a long read never holds up the requests being audited.
    pub fn read(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, AccessError> {
        let file = std::fs::File::open(&self.path)
            .map_err(|e| AccessError::io("audit log", &self.path, e))?;
        let mut out = Vec::new();
        for line in BufReader::new(file).lines() {
            let line = line.map_err(|e| AccessError::io("audit log", &self.path, e))?;
            let Ok(parsed) = serde_json::from_str::<LineIn>(&line) else {
                continue;
            };
            let Ok(entry) = serde_json::from_str::<AuditEntry>(parsed.entry.get()) else {
                continue;
            };
            if query.user.as_ref().is_some_and(|u| *u != entry.record.user)
                || query.from.is_some_and(|f| entry.at < f)
                || query.to.is_some_and(|t| entry.at >= t)
            {
                continue;
            }
            out.push(entry);
        }
        out.reverse();
        out.truncate(query.limit);
        Ok(out)
    }
}

/// Checks the whole chain of the log at `path` with the key in `key_file`.
pub fn verify(path: &Path, key_file: &Path) -> Result<Verification, AccessError> {
    let key = std::fs::read_to_string(key_file)
        .map_err(|e| AccessError::io("audit key", key_file, e))?
        .trim()
        .as_bytes()
        .to_vec();
    let file = std::fs::File::open(path).map_err(|e| AccessError::io("audit log", path, e))?;
    let mut v = Verification {
        entries: 0,
        last_seq: 0,
        last_mac: GENESIS.to_owned(),
        problems: Vec::new(),
    };
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| AccessError::io("audit log", path, e))?;
        let Ok(parsed) = serde_json::from_str::<LineIn>(&line) else {
            v.problems.push(format!("line {n}: not an audit line"));
            continue;
        };
        let seq = serde_json::from_str::<AuditEntry>(parsed.entry.get())
            .map(|e| e.seq)
            .ok();
        let expected = mac(&key, &v.last_mac, parsed.entry.get().as_bytes());
        if expected != parsed.mac {
            v.problems.push(format!(
                "line {n}: its mac does not follow from the line before (edited, inserted, removed or reordered)"
            ));
        }
        match seq {
            Some(s) if s != v.last_seq + 1 => v.problems.push(format!(
                "line {n}: sequence {s} follows {} (an entry is missing or out of order)",
                v.last_seq
            )),
            None => v
                .problems
                .push(format!("line {n}: the entry does not parse")),
            _ => {}
        }
        v.entries += 1;
        v.last_seq = seq.unwrap_or(v.last_seq + 1);
        v.last_mac = parsed.mac;
    }
    match std::fs::read(head_path(path)).ok().and_then(|b| serde_json::from_slice::<Head>(&b).ok()) {
        Some(head) if !head.signed(&key) => v.problems.push(
            "the head's mac does not verify: it was rewritten (or written by a toex that did not sign heads)"
                .to_owned(),
        ),
        Some(head) if head.seq == v.last_seq && head.mac == v.last_mac => {}
        Some(head) => v.problems.push(format!(
            "the head says the log ends at sequence {} but it ends at {} (entries cut off the end?)",
            head.seq, v.last_seq
        )),
        None => v
            .problems
            .push("the head file is missing or unreadable (a log always has one)".to_owned()),
    }
    Ok(v)
}

/// Longest query text kept in an entry, in characters.
pub const MAX_LOGGED_QUERY_CHARS: usize = 8_000;
/// Longest string literal kept in a logged query text, in characters.
const MAX_LOGGED_LITERAL_CHARS: usize = 200;

/// `query` as the log keeps it: a string literal given as a credential or as bulk
/// material (an argument or input field named like a masked variable: `secret:`,
/// `token:`, `text:` …) replaced by `[redacted]`, block strings too; other literals over
/// 200 characters cut to their first 200; and the whole cut to its first
/// [`MAX_LOGGED_QUERY_CHARS`] characters.
pub fn mask_query_text(query: &str) -> String {
    const BLOCK: [char; 3] = ['"', '"', '"'];
    let chars: Vec<char> = query.chars().collect();
    let mut out = String::with_capacity(query.len().min(MAX_LOGGED_QUERY_CHARS));
    let (mut i, mut kept) = (0usize, 0usize);
    while i < chars.len() {
        if kept >= MAX_LOGGED_QUERY_CHARS {
            out.push('…');
            break;
        }
        if chars[i] != '"' {
            out.push(chars[i]);
            kept += 1;
            i += 1;
            continue;
        }
        let block = chars[i..].starts_with(&BLOCK);
        let quotes = if block { 3 } else { 1 };
        let start = i + quotes;
        let (mut end, mut escaped) = (start, false);
        while end < chars.len() {
            let closes = if block {
                chars[end..].starts_with(&BLOCK) && chars[end - 1] != '\\'
            } else {
                !escaped && chars[end] == '"'
            };
            if closes {
                break;
            }
            escaped = !escaped && chars[end] == '\\';
            end += 1;
        }
        let body = &chars[start..end];
        let delimiter = if block { "\"\"\"" } else { "\"" };
        let mut literal = delimiter.to_owned();
        if argument_name(&out).is_some_and(masked_key) {
            literal.push_str("[redacted]");
        } else {
            literal.extend(body.iter().take(MAX_LOGGED_LITERAL_CHARS));
            if body.len() > MAX_LOGGED_LITERAL_CHARS {
                literal.push_str(&format!("…[{} characters]", body.len()));
            }
        }
        literal.push_str(delimiter);
        kept += literal.chars().count();
        out.push_str(&literal);
        i = (end + quotes).min(chars.len());
    }
    out
}

/// The argument or input field a literal about to be written after `text` is given to
/// (`secret` in `createToken(secret: `), if any.
fn argument_name(text: &str) -> Option<&str> {
    let before = text.trim_end().strip_suffix(':')?.trim_end();
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &before[start..];
    (!name.is_empty()).then_some(name)
}

/// Whether a variable, argument or input field of this name holds a credential or bulk
/// material, never copied into the log.
fn masked_key(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_KEYS.iter().any(|s| lower.contains(s)) || BULK_KEYS.contains(&lower.as_str())
}

/// Variable names (any part of them) whose values never enter the log: credentials.
const SECRET_KEYS: [&str; 4] = ["password", "secret", "token", "authorization"];
/// Variable names (whole) holding bulk material that the log must not copy.
const BULK_KEYS: [&str; 4] = ["text", "content", "files", "correction"];

/// The variables with credentials and bulk content replaced by `"[redacted]"` and long
/// strings cut to their first 200 characters, so the log records what was asked
/// without becoming a second copy of the material.
pub fn redact_variables(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if masked_key(k) && !v.is_null() {
                        Value::String("[redacted]".to_owned())
                    } else {
                        redact_variables(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().take(100).map(redact_variables).collect()),
        Value::String(s) if s.chars().count() > 200 => {
            Value::String(format!("{}…", s.chars().take(200).collect::<String>()))
        }
        other => other.clone(),
    }
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
