//! The importer's reading and validation (CSV with a header row, or JSONL) for every
//! import kind: any bytes give records and `line: reason` errors, or one file-level
//! error; never a panic, and never more rows than the input has lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use toex_graph::import::{ImportKind, ImportOptions, RowFormat, parse_bytes};

const KINDS: [ImportKind; 7] = [
    ImportKind::Persons,
    ImportKind::Identifiers,
    ImportKind::Incidents,
    ImportKind::Missing,
    ImportKind::Calls,
    ImportKind::Edges,
    ImportKind::StreetCrime,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let kind = KINDS[usize::from(pick & 0x7f) % KINDS.len()];
    let format = if pick & 0x80 == 0 {
        RowFormat::Csv
    } else {
        RowFormat::Jsonl
    };
    let opts = ImportOptions::default();
    if let Ok((records, errors)) = parse_bytes(kind, format, body, &opts) {
        // CSV also ends records at a bare carriage return.
        let lines = 1 + body.iter().filter(|b| matches!(b, b'\n' | b'\r')).count();
        assert!(
            records.len() + errors.len() <= lines,
            "more rows than lines"
        );
        for (line, reason) in &errors {
            assert!(*line >= 1 && !reason.is_empty());
        }
    }
});
