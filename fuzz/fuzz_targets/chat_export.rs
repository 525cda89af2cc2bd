//! The ingest parsers (encoding detection, chat exports, SRT, WebVTT, JSONL, plain
//! text): any bytes either parse into segments that hold together or get one error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use toex_indexer::formats;

const NAMES: [&str; 5] = [
    "chat.txt",
    "talk.srt",
    "talk.vtt",
    "lines.jsonl",
    "notes.md",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    match formats::parse(name, body) {
        Ok(parsed) => {
            for segment in &parsed.segments {
                if let (Some(start), Some(end)) = (segment.start_ms, segment.end_ms) {
                    assert!(start <= end, "{name}: a segment ends before it starts");
                }
            }
            // The joined text is what gets indexed; it must be producible.
            let _ = parsed.text();
        }
        Err(message) => assert!(!message.is_empty(), "{name}: an empty error"),
    }
});
