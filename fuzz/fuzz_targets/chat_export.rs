//! The readers of seized files (encodings, chats, SRT, WebVTT, JSONL, DOCX, ODT, PPTX,
//! XLSX, ODS, EML, MBOX, ZIP, tar, gzip, provider chat exports) under small limits: any
//! bytes either read into segments and members that hold together, or get one error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use toex_formats::{Limits, read};

const NAMES: [&str; 17] = [
    "chat.txt",
    "talk.srt",
    "talk.vtt",
    "lines.jsonl",
    "notes.md",
    "statement.docx",
    "log.odt",
    "deck.pptx",
    "calls.xlsx",
    "vehicles.ods",
    "message.eml",
    "inbox.mbox",
    "download.zip",
    "bundle.tar",
    "bundle.tgz",
    "note.txt.gz",
    "result.json",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let limits = Limits {
        file_bytes: 1 << 20,
        members: 64,
        expanded_bytes: 4 << 20,
        cells: 10_000,
        ..Limits::default()
    };
    match read(name, body, &limits) {
        Ok(found) => {
            let expanded: usize = found.members.iter().map(|m| m.bytes.len()).sum();
            assert!(found.members.len() <= limits.members, "{name}: too many members");
            assert!(expanded as u64 <= limits.expanded_bytes, "{name}: expanded too far");
            for m in &found.members {
                assert!(!m.path.split('/').any(|p| p == ".."), "{name}: {} climbs out", m.path);
            }
            if let Some(parsed) = found.document {
                for segment in &parsed.segments {
                    if let (Some(start), Some(end)) = (segment.start_ms, segment.end_ms) {
                        assert!(start <= end, "{name}: a segment ends before it starts");
                    }
                }
                // The joined text is what gets indexed; it must be producible.
                let _ = parsed.text();
            }
        }
        Err(e) => assert!(!e.to_string().is_empty(), "{name}: an empty error"),
    }
});
