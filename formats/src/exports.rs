//! Provider chat exports in JSON: Telegram Desktop (`result.json`, one chat or a whole
//! account, whose chats become members) and Instagram or Facebook Messenger "download
//! your information" (`message_1.json`); sender, time, replies and attachments kept.

use std::collections::HashMap;

use serde_json::Value;

use crate::{FormatError, Member, Parsed, Read, Segment};

/// Reads a JSON file that is a known chat export; `None` when it is not one.
pub(crate) fn read(bytes: &[u8]) -> Result<Option<Read>, FormatError> {
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(None);
    };
    if let Some(chats) = value.pointer("/chats/list").and_then(Value::as_array) {
        // A whole Telegram account: each chat read in turn as an export of its own.
        let members = chats
            .iter()
            .enumerate()
            .map(|(i, chat)| Member {
                path: format!("chats/{:04}-{}.json", i + 1, file_safe(title(chat))),
                bytes: serde_json::to_vec(chat).unwrap_or_default(),
            })
            .collect();
        return Ok(Some(Read {
            document: None,
            members,
            refused: Vec::new(),
        }));
    }
    let Some(messages) = value.get("messages").and_then(Value::as_array) else {
        return Ok(None);
    };
    let parsed = if messages.iter().any(|m| m.get("sender_name").is_some()) {
        meta(&value, messages)
    } else if messages
        .iter()
        .any(|m| m.get("from").is_some() || m.get("date").is_some())
    {
        telegram(&value, messages)
    } else {
        return Ok(None);
    };
    Ok(Some(Read {
        document: Some(parsed),
        ..Read::default()
    }))
}

fn title(chat: &Value) -> &str {
    chat.get("name")
        .or_else(|| chat.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("chat")
}

fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .take(60)
        .collect()
}

/// Telegram's text: a string, or a list of strings and entities (`{"type": "link",
/// "text": "..."}`).
fn telegram_text(text: Option<&Value>) -> String {
    match text {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|p| match p {
                Value::String(s) => s.as_str(),
                other => other.get("text").and_then(Value::as_str).unwrap_or(""),
            })
            .collect(),
        _ => String::new(),
    }
}

fn telegram(chat: &Value, messages: &[Value]) -> Parsed {
    let mut index_of: HashMap<i64, u32> = HashMap::new();
    let mut segments = Vec::new();
    for m in messages {
        if m.get("type").and_then(Value::as_str) == Some("service") {
            continue;
        }
        let attachments: Vec<String> = ["photo", "file", "thumbnail"]
            .iter()
            .filter_map(|k| m.get(*k).and_then(Value::as_str))
            .filter(|s| !s.starts_with('('))
            .map(str::to_owned)
            .collect();
        let text = telegram_text(m.get("text"));
        if text.trim().is_empty() && attachments.is_empty() {
            continue;
        }
        let reply_to = m
            .get("reply_to_message_id")
            .and_then(Value::as_i64)
            .and_then(|id| index_of.get(&id).copied());
        segments.push(Segment {
            text,
            speaker: m
                .get("from")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| m.get("actor").and_then(Value::as_str).map(str::to_owned)),
            sent: m.get("date").and_then(Value::as_str).map(str::to_owned),
            reply_to,
            attachments,
            ..Segment::default()
        });
        if let Some(id) = m.get("id").and_then(Value::as_i64) {
            index_of.insert(id, segments.len() as u32);
        }
    }
    let mut parsed = Parsed::new("chat", "Telegram export", segments);
    parsed
        .headers
        .push(("Chat".to_owned(), title(chat).to_owned()));
    if let Some(kind) = chat.get("type").and_then(Value::as_str) {
        parsed.headers.push(("Type".to_owned(), kind.to_owned()));
    }
    parsed
}

/// Meta's exports write UTF-8 bytes as if each were a Latin-1 character (`Ã©` for `é`);
/// such text is put right, any other left as it is.
fn meta_text(s: &str) -> String {
    if s.chars().all(|c| (c as u32) < 256) && s.chars().any(|c| (c as u32) >= 0x80) {
        let bytes: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
        if let Ok(fixed) = String::from_utf8(bytes) {
            return fixed;
        }
    }
    s.to_owned()
}

fn meta(chat: &Value, messages: &[Value]) -> Parsed {
    // Newest first in the export; oldest first here.
    let mut segments = Vec::new();
    for m in messages.iter().rev() {
        let text = m
            .get("content")
            .and_then(Value::as_str)
            .map(meta_text)
            .unwrap_or_default();
        let attachments: Vec<String> = ["photos", "videos", "audio_files", "files", "gifs"]
            .iter()
            .filter_map(|k| m.get(*k).and_then(Value::as_array))
            .flatten()
            .filter_map(|a| a.get("uri").and_then(Value::as_str).map(str::to_owned))
            .collect();
        if text.trim().is_empty() && attachments.is_empty() {
            continue;
        }
        let sent = m
            .get("timestamp_ms")
            .and_then(Value::as_i64)
            .and_then(utc_millis);
        segments.push(Segment {
            text,
            speaker: m.get("sender_name").and_then(Value::as_str).map(meta_text),
            sent,
            attachments,
            ..Segment::default()
        });
    }
    let mut parsed = Parsed::new("chat", "Meta export", segments);
    if let Some(t) = chat.get("title").and_then(Value::as_str) {
        parsed.headers.push(("Chat".to_owned(), meta_text(t)));
    }
    let participants: Vec<String> = chat
        .get("participants")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("name").and_then(Value::as_str).map(meta_text))
        .collect();
    if !participants.is_empty() {
        parsed
            .headers
            .push(("Participants".to_owned(), participants.join(", ")));
    }
    parsed
}

/// Milliseconds since 1970 as an RFC 3339 UTC time.
fn utc_millis(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_times_are_utc() {
        assert_eq!(
            utc_millis(1_709_300_000_000).as_deref(),
            Some("2024-03-01T13:33:20Z")
        );
    }

    #[test]
    fn meta_mojibake_is_put_right() {
        assert_eq!(meta_text("Caf\u{c3}\u{a9}"), "Café");
        assert_eq!(meta_text("plain"), "plain");
        assert_eq!(meta_text("ÿ alone"), "ÿ alone");
    }
}
