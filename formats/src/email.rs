//! Email (EML, MBOX) through `mail-parser`: each message a document whose segments carry
//! its sender and date, its headers kept, its addresses in the text (so they become
//! identifiers), and its attachments members to read in turn (forwarded messages too).

use mail_parser::{Address, MessageParser, MimeHeaders};

use crate::limits::Budget;
use crate::{FormatError, Limits, Member, Parsed, Read, Refused, Segment};

fn addresses(address: Option<&Address<'_>>) -> Option<String> {
    let list: Vec<String> = address?
        .iter()
        .filter_map(|a| match (a.name(), a.address()) {
            (Some(name), Some(addr)) => Some(format!("{name} <{addr}>")),
            (None, Some(addr)) => Some(addr.to_owned()),
            (Some(name), None) => Some(name.to_owned()),
            (None, None) => None,
        })
        .collect();
    (!list.is_empty()).then(|| list.join(", "))
}

/// One message (an `.eml` file).
pub(crate) fn message(bytes: &[u8], limits: &Limits) -> Result<Read, FormatError> {
    let message = MessageParser::default()
        .parse(bytes)
        .filter(|m| !m.headers().is_empty())
        .ok_or_else(|| FormatError::Damaged {
            format: "email",
            reason: "no message headers could be read".to_owned(),
        })?;
    let from = addresses(message.from());
    let sent = message.date().map(|d| d.to_rfc3339());
    let mut headers = Vec::new();
    for (name, value) in [
        ("From", from.clone()),
        ("To", addresses(message.to())),
        ("Cc", addresses(message.cc())),
        ("Date", sent.clone()),
        ("Subject", message.subject().map(str::to_owned)),
        ("Message-ID", message.message_id().map(str::to_owned)),
    ] {
        if let Some(value) = value {
            headers.push((name.to_owned(), value));
        }
    }
    let segment = |text: String| Segment {
        text,
        speaker: from.clone(),
        sent: sent.clone(),
        ..Segment::default()
    };
    let mut segments = Vec::new();
    let addressed: Vec<String> = headers
        .iter()
        .filter(|(name, _)| matches!(name.as_str(), "From" | "To" | "Cc"))
        .map(|(name, value)| format!("{name}: {value}"))
        .collect();
    if !addressed.is_empty() {
        segments.push(segment(addressed.join("\n")));
    }
    if let Some(subject) = message.subject().filter(|s| !s.trim().is_empty()) {
        segments.push(segment(format!("Subject: {subject}")));
    }
    for i in 0..message.text_body_count() {
        if let Some(body) = message.body_text(i) {
            segments.extend(
                body.split("\n\n")
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| segment(p.to_owned())),
            );
        }
    }
    let mut read = Read::default();
    let mut budget = Budget::default();
    let mut attachments = Vec::new();
    for (n, part) in message.attachments().enumerate() {
        let (path, content) = match part.message() {
            Some(inner) => (
                part.attachment_name()
                    .map(|name| format!("{name}.eml"))
                    .unwrap_or_else(|| format!("forwarded-{}.eml", n + 1)),
                inner.raw_message(),
            ),
            None => (
                part.attachment_name()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("attachment-{}{}", n + 1, suffix(part))),
                part.contents(),
            ),
        };
        let path = path.replace(['/', '\\'], "_");
        if let Err(error) = limits.check_member(&path, content.len() as u64, bytes.len() as u64) {
            read.refused.push(Refused { path, error });
            continue;
        }
        budget.take(limits, content.len() as u64)?;
        attachments.push(path.clone());
        read.members.push(Member {
            path,
            bytes: content.to_vec(),
        });
    }
    if !attachments.is_empty() {
        headers.push(("Attachments".to_owned(), attachments.join(", ")));
    }
    let mut parsed = Parsed::new("email", "MIME", segments);
    parsed.headers = headers;
    read.document = Some(parsed);
    Ok(read)
}

/// An extension for an attachment that has no name, from its content type.
fn suffix(part: &mail_parser::MessagePart<'_>) -> &'static str {
    match part.content_type().map(|c| {
        (
            c.ctype().to_ascii_lowercase(),
            c.subtype().unwrap_or("").to_ascii_lowercase(),
        )
    }) {
        Some((t, s)) => match (t.as_str(), s.as_str()) {
            ("application", "pdf") => ".pdf",
            ("image", "jpeg") => ".jpg",
            ("image", "png") => ".png",
            ("text", "plain") => ".txt",
            ("application", "zip") => ".zip",
            _ => "",
        },
        None => "",
    }
}

/// A mailbox (`.mbox`): each message a member, read in turn as an email of its own.
pub(crate) fn mailbox(bytes: &[u8], limits: &Limits) -> Result<Read, FormatError> {
    let mut read = Read::default();
    let mut budget = Budget::default();
    let mut seen = 0;
    for (n, message) in mail_parser::mailbox::mbox::MessageIterator::new(bytes).enumerate() {
        seen += 1;
        let path = format!("message-{:05}.eml", n + 1);
        match message {
            Ok(m) => {
                budget.take(limits, m.contents().len() as u64)?;
                read.members.push(Member {
                    path,
                    bytes: m.unwrap_contents(),
                });
            }
            Err(e) => read.refused.push(Refused {
                path,
                error: FormatError::Damaged {
                    format: "mailbox message",
                    reason: e.to_string(),
                },
            }),
        }
    }
    if seen == 0 {
        return Err(FormatError::Damaged {
            format: "mailbox",
            reason: "no message starts with a `From ` line".to_owned(),
        });
    }
    Ok(read)
}
