//! Text files: decoding (UTF-8, UTF-16 with or without a byte-order mark,
//! Windows-1256, ISO-8859-6 and other legacy encodings, detected), plain text (one
//! segment per line), WhatsApp-style chat exports (one segment per message, with sender
//! and time), SRT and WebVTT (time-coded segments). Each bad file gets one clear error.

use crate::{FormatError, Parsed, Segment};

/// Decodes bytes to text, detecting the encoding. Returns the text and the encoding's name.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), FormatError> {
    decode_text(bytes).map_err(FormatError::Unreadable)
}

fn decode_text(bytes: &[u8]) -> Result<(String, &'static str), String> {
    if bytes.is_empty() {
        return Err("the file is empty".to_owned());
    }
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if had_errors {
            return Err(format!(
                "the file claims {} but has invalid bytes",
                encoding.name()
            ));
        }
        return Ok((text.into_owned(), encoding.name()));
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return Ok((text.into_owned(), encoding.name()));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            check_not_binary(text)?;
            return Ok((text.to_owned(), "UTF-8"));
        }
        Err(e) => {
            // Proper multi-byte UTF-8 before the bad byte: corrupt UTF-8, not a legacy encoding.
            let prefix = &bytes[..e.valid_up_to()];
            if prefix.iter().any(|b| *b >= 0x80) {
                return Err(format!("invalid UTF-8 at byte {}", e.valid_up_to()));
            }
        }
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let encoding = detector.guess(None, chardetng::Utf8Detection::Deny);
    let (text, _, had_errors) = encoding.decode(bytes);
    if had_errors {
        return Err(format!(
            "cannot decode the file (best guess {})",
            encoding.name()
        ));
    }
    check_not_binary(&text)?;
    Ok((text.into_owned(), encoding.name()))
}

fn utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let pairs = bytes.len() / 2;
    let zeros_even = bytes.iter().step_by(2).filter(|b| **b == 0).count();
    let zeros_odd = bytes.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    if zeros_odd * 10 > pairs * 3 && zeros_even * 20 < pairs {
        Some(encoding_rs::UTF_16LE)
    } else if zeros_even * 10 > pairs * 3 && zeros_odd * 20 < pairs {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

fn check_not_binary(text: &str) -> Result<(), String> {
    let total = text.chars().count().max(1);
    let control = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        .count();
    if control * 100 > total * 2 {
        return Err("the file looks binary, not text".to_owned());
    }
    Ok(())
}

/// Parses a text file by its name (the extension) and content.
pub(crate) fn parse(name: &str, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let (text, encoding) = decode(bytes)?;
    let (source_type, segments) = match crate::extension(name).as_str() {
        "srt" => (
            "transcript",
            cues(&text, false).map_err(FormatError::Unreadable)?,
        ),
        "vtt" => (
            "transcript",
            cues(&text, true).map_err(FormatError::Unreadable)?,
        ),
        "jsonl" | "ndjson" => jsonl(&text).map_err(FormatError::Unreadable)?,
        _ => match chat(&text) {
            Some(messages) => ("chat", messages),
            None => ("text", lines(&text)),
        },
    };
    if segments.iter().all(|s| s.text.trim().is_empty()) {
        return Err(FormatError::NoText);
    }
    Ok(Parsed::new(source_type, encoding, segments))
}

/// JSON Lines, one segment per line: an object with `text` and optionally `speaker`
/// (or `sender`), `start_ms`/`end_ms` (or `start`/`end` in seconds) and `sent` (or
/// `time`). A chat if any line has a sender or a time, a transcript if any has times.
fn jsonl(text: &str) -> Result<(&'static str, Vec<Segment>), String> {
    let mut segments = Vec::new();
    let (mut chat, mut timed) = (false, false);
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(raw).map_err(|e| format!("line {n}: not JSON ({e})"))?;
        let obj = value
            .as_object()
            .ok_or_else(|| format!("line {n}: each line must be a JSON object"))?;
        let text = obj
            .get("text")
            .and_then(|t| t.as_str())
            .ok_or_else(|| format!("line {n}: `text` is missing or not a string"))?;
        let string = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| obj.get(*k).and_then(|v| v.as_str()).map(str::to_owned))
        };
        let millis = |ms: &str, secs: &str| -> Result<Option<u64>, String> {
            match (obj.get(ms), obj.get(secs)) {
                (Some(v), _) => v.as_u64().map(Some).ok_or_else(|| {
                    format!("line {n}: `{ms}` must be a whole number of milliseconds")
                }),
                (None, Some(v)) => v
                    .as_f64()
                    .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9)
                    .map(|s| Some((s * 1000.0).round() as u64))
                    .ok_or_else(|| format!("line {n}: `{secs}` must be seconds")),
                (None, None) => Ok(None),
            }
        };
        let (start_ms, end_ms) = (millis("start_ms", "start")?, millis("end_ms", "end")?);
        if let (Some(a), Some(b)) = (start_ms, end_ms)
            && b < a
        {
            return Err(format!("line {n}: the segment ends before it starts"));
        }
        let segment = Segment {
            text: text.to_owned(),
            line: Some(n as u32),
            start_ms,
            end_ms,
            speaker: string(&["speaker", "sender"]),
            sent: string(&["sent", "time"]),
            ..Segment::default()
        };
        chat |= segment.speaker.is_some() || segment.sent.is_some();
        timed |= start_ms.is_some();
        segments.push(segment);
    }
    let kind = if timed {
        "transcript"
    } else if chat {
        "chat"
    } else {
        "text"
    };
    Ok((kind, segments))
}

fn lines(text: &str) -> Vec<Segment> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Segment {
            text: l.trim_end().to_owned(),
            line: Some(i as u32 + 1),
            ..Segment::default()
        })
        .collect()
}

/// `12/03/2024, 21:15 - Name: message` or `[12/03/2024, 21:15:33] Name: message`.
fn chat_header(line: &str) -> Option<(String, String, String)> {
    let line = line.trim_start_matches('\u{200e}');
    let (stamp, rest) = if let Some(inner) = line.strip_prefix('[') {
        let (stamp, rest) = inner.split_once("] ")?;
        (stamp, rest)
    } else {
        line.split_once(" - ")?
    };
    let (date, time) = stamp.split_once(", ")?;
    let date_ok =
        date.split('/').count() == 3 && date.chars().all(|c| c.is_ascii_digit() || c == '/');
    let time_ok = time.split(':').count() >= 2
        && time
            .trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == ' ')
            .chars()
            .all(|c| c.is_ascii_digit() || c == ':');
    if !date_ok || !time_ok {
        return None;
    }
    let (sender, message) = rest.split_once(": ")?;
    Some((
        format!("{date} {time}"),
        sender.trim().to_owned(),
        message.to_owned(),
    ))
}

fn chat(text: &str) -> Option<Vec<Segment>> {
    let mut messages: Vec<Segment> = Vec::new();
    let mut headers = 0;
    for (i, line) in text.lines().enumerate() {
        if let Some((sent, sender, message)) = chat_header(line) {
            headers += 1;
            messages.push(Segment {
                text: message,
                line: Some(i as u32 + 1),
                speaker: Some(sender),
                sent: Some(sent),
                ..Segment::default()
            });
        } else if let Some(last) = messages.last_mut() {
            last.text.push('\n');
            last.text.push_str(line);
        } else if !line.trim().is_empty() {
            return None;
        }
    }
    (headers >= 1).then_some(messages)
}

/// `hh:mm:ss,mmm` (SRT) or `[hh:]mm:ss.mmm` (WebVTT) in milliseconds.
fn timestamp(s: &str) -> Option<u64> {
    let s = s.trim();
    let (clock, millis) = s.rsplit_once([',', '.'])?;
    let millis: u64 = millis.get(..3)?.parse().ok()?;
    let parts: Vec<u64> = clock
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let secs = match parts.as_slice() {
        [h, m, s] => h * 3600 + m * 60 + s,
        [m, s] => m * 60 + s,
        _ => return None,
    };
    Some(secs * 1000 + millis)
}

fn cues(text: &str, vtt: bool) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    if vtt {
        match lines.next() {
            Some((_, first)) if first.trim_start_matches('\u{feff}').starts_with("WEBVTT") => {}
            _ => return Err("not a WebVTT file (no WEBVTT header)".to_owned()),
        }
    }
    while let Some((i, line)) = lines.next() {
        let Some((from, to)) = line.split_once("-->") else {
            continue;
        };
        let start =
            timestamp(from).ok_or_else(|| format!("line {}: bad time `{}`", i + 1, from.trim()))?;
        let end_field = to.split_whitespace().next().unwrap_or("");
        let end = timestamp(end_field)
            .ok_or_else(|| format!("line {}: bad time `{end_field}`", i + 1))?;
        if end < start {
            return Err(format!("line {}: the cue ends before it starts", i + 1));
        }
        let mut body = Vec::new();
        while let Some((_, l)) = lines.peek() {
            if l.trim().is_empty() {
                break;
            }
            body.push(lines.next().map(|(_, l)| l).unwrap_or_default());
        }
        let mut text = body.join("\n");
        let mut speaker = None;
        if let Some(rest) = text.strip_prefix("<v ")
            && let Some((name, said)) = rest.split_once('>')
        {
            speaker = Some(name.trim().to_owned());
            text = said.replace("</v>", "");
        }
        out.push(Segment {
            text: text.trim().to_owned(),
            line: Some(i as u32 + 1),
            start_ms: Some(start),
            end_ms: Some(end),
            speaker,
            ..Segment::default()
        });
    }
    if out.is_empty() {
        return Err("no cues found".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_detected_and_converted() {
        let arabic = "قال إنه سيقابله عند محطة الحافلات في الساعة التاسعة مساء يوم الجمعة";
        let (cp1256, _, _) = encoding_rs::WINDOWS_1256.encode(arabic);
        assert_eq!(decode(&cp1256).unwrap().0, arabic);
        let (iso, _, _) = encoding_rs::ISO_8859_6.encode(arabic);
        let (text, _) = decode(&iso).unwrap();
        assert_eq!(text, arabic, "ISO-8859-6 decodes to the same text");
        let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
        utf16.extend(arabic.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&utf16).unwrap(), (arabic.to_owned(), "UTF-16LE"));
        let bare: Vec<u8> = "meet me at nine"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(decode(&bare).unwrap().0, "meet me at nine");
    }

    #[test]
    fn bad_files_get_clear_errors() {
        assert_eq!(decode(b"").unwrap_err().to_string(), "the file is empty");
        let junk: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
            .collect();
        assert!(parse("junk.txt", &junk).is_err());
        let mut corrupt = "مرحبا بك ".repeat(20).into_bytes();
        corrupt.extend_from_slice(&[0xC3, 0x28, b'a']);
        assert!(
            decode(&corrupt)
                .unwrap_err()
                .to_string()
                .contains("invalid UTF-8 at byte")
        );
        assert!(
            parse("x.vtt", b"00:01.000 --> 00:02.000\nhi\n")
                .unwrap_err()
                .to_string()
                .contains("WEBVTT")
        );
        assert!(
            parse("x.srt", b"1\n00:00:05,000 --> 00:00:01,000\nhi\n")
                .unwrap_err()
                .to_string()
                .contains("ends before")
        );
    }

    #[test]
    fn whatsapp_exports_become_messages() {
        let export = "12/03/2024, 21:15 - Jay: you coming tonight?\n12/03/2024, 21:16 - محمد: نعم\nbring the car\n[13/03/2024, 09:01:22] Jay: ok\n";
        let p = parse("chat.txt", export.as_bytes()).unwrap();
        assert_eq!(p.source_type, "chat");
        assert_eq!(p.segments.len(), 3);
        assert_eq!(p.segments[1].speaker.as_deref(), Some("محمد"));
        assert_eq!(p.segments[1].text, "نعم\nbring the car");
        assert_eq!(p.segments[2].sent.as_deref(), Some("13/03/2024 09:01:22"));
    }

    #[test]
    fn subtitles_become_time_coded_segments() {
        let srt = "1\n00:00:01,500 --> 00:00:04,000\nWhere were you?\n\n2\n00:01:02,000 --> 00:01:05,250\nAt the garage.\nWith him.\n";
        let p = parse("interview.srt", srt.as_bytes()).unwrap();
        assert_eq!(p.source_type, "transcript");
        assert_eq!(
            (p.segments[0].start_ms, p.segments[0].end_ms),
            (Some(1500), Some(4000))
        );
        assert_eq!(p.segments[1].text, "At the garage.\nWith him.");
        let vtt =
            "WEBVTT\n\nc1\n00:05.000 --> 00:07.500 align:start\n<v Officer>Say that again.</v>\n";
        let p = parse("call.vtt", vtt.as_bytes()).unwrap();
        assert_eq!(p.segments[0].speaker.as_deref(), Some("Officer"));
        assert_eq!(p.segments[0].text, "Say that again.");
        assert_eq!(p.segments[0].start_ms, Some(5000));
    }

    #[test]
    fn plain_text_keeps_line_numbers() {
        let p = parse("note.txt", "first\n\nthird\n".as_bytes()).unwrap();
        assert_eq!(p.source_type, "text");
        assert_eq!(
            p.segments.iter().map(|s| s.line).collect::<Vec<_>>(),
            vec![Some(1), Some(3)]
        );
    }

    #[test]
    fn jsonl_lines_become_segments_and_bad_lines_are_named() {
        let ok = parse(
            "export.jsonl",
            concat!(
                r#"{"text": "meet at the garage", "sender": "Jay", "time": "2024-03-12 21:15"}"#,
                "\n",
                r#"{"text": "وين انت", "sender": "Sam"}"#,
                "\n"
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(ok.source_type, "chat");
        assert_eq!(ok.segments[1].text, "وين انت");
        assert_eq!(ok.segments[0].speaker.as_deref(), Some("Jay"));
        let timed = parse(
            "call.jsonl",
            br#"{"text": "hello", "start": 1.5, "end": 2.25}"#,
        )
        .unwrap();
        assert_eq!(timed.source_type, "transcript");
        assert_eq!(
            (timed.segments[0].start_ms, timed.segments[0].end_ms),
            (Some(1500), Some(2250))
        );
        let err = parse("x.jsonl", b"{\"text\": \"a\"}\n{oops\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("line 2: not JSON"), "{err}");
        let err = parse("x.jsonl", br#"{"words": "a"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`text`"), "{err}");
        let err = parse("x.jsonl", br#"{"text": "a", "start": 5, "end": 1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ends before"), "{err}");
    }
}
