//! What an imported file says about watched identifiers and persons: for each written
//! record, the watched keys it touches (`phone:+447700900001`, `person:WYP-12`) and the
//! relationship it writes, so the alert check after an import is a key look-up, not a
//! search of the graph.

use std::collections::{HashMap, HashSet};

use super::records::{IdentifierKind, Record, RecordKind};

/// Most touches kept for one watched key in one file (a watched phone with a year of
/// call records is one alert per other phone, and at most this many).
const MAX_PER_KEY: usize = 100;

/// A watched key an imported record touches.
#[derive(Debug, Clone, PartialEq)]
pub struct Touched {
    /// The watched key (`kind:value`, as extraction and watches store it).
    pub key: String,
    /// The file's line.
    pub line: u64,
    /// The record's force and operation (the import's, when the row names none).
    pub force: String,
    pub operation: Option<String>,
    /// The relationship written: `USES`, `LIVES_AT`, `INVOLVED_IN`, `WENT_MISSING`,
    /// `CALLED`, `ASSOCIATE_OF`, or `RECORD` for a person's own record.
    pub relationship: &'static str,
    /// The graph key of the other end (`Person:WYP-12`, `Incident:INC-7`), if any.
    pub other: Option<String>,
    /// What the record says of the watched key, without naming the other end.
    pub what: String,
}

/// The watch key of an identifier, as extraction writes it (`postcode:BD1 4AS` for an
/// address with a postcode; an address without one has none).
fn watch_key(kind: IdentifierKind, value: &str, postcode: Option<&str>) -> Option<String> {
    let kind = match kind {
        IdentifierKind::Phone => "phone",
        IdentifierKind::Email => "email",
        IdentifierKind::Vehicle => "vehicle",
        IdentifierKind::Account => "account",
        IdentifierKind::Address => return postcode.map(|p| format!("postcode:{p}")),
    };
    Some(format!("{kind}:{value}"))
}

/// The graph key of an identifier node.
fn node_key(kind: IdentifierKind, value: &str) -> String {
    let label = match kind {
        IdentifierKind::Phone => "Phone",
        IdentifierKind::Email => "Email",
        IdentifierKind::Vehicle => "Vehicle",
        IdentifierKind::Account => "OnlineAccount",
        IdentifierKind::Address => "Location",
    };
    format!("{label}:{value}")
}

/// Each written record's touches of `watched` keys, at most [`MAX_PER_KEY`] per key
/// and one per key and other end.
pub(crate) fn touched(
    records: &[Record],
    watched: &HashSet<String>,
    operation: Option<&str>,
) -> Vec<Touched> {
    let mut out = Vec::new();
    let mut per_key: HashMap<String, usize> = HashMap::new();
    let mut seen: HashSet<(String, Option<String>)> = HashSet::new();
    let mut touch = |r: &Record,
                     key: String,
                     op: Option<&String>,
                     relationship: &'static str,
                     other: Option<String>,
                     what: String| {
        if !watched.contains(&key) {
            return;
        }
        let n = per_key.entry(key.clone()).or_default();
        if *n >= MAX_PER_KEY || !seen.insert((key.clone(), other.clone())) {
            return;
        }
        *n += 1;
        out.push(Touched {
            key,
            line: r.line,
            force: r.force.clone(),
            operation: op.map(String::as_str).or(operation).map(str::to_owned),
            relationship,
            other,
            what,
        });
    };
    for r in records {
        match &r.kind {
            RecordKind::Person { id, operation, .. } => touch(
                r,
                format!("person:{id}"),
                operation.as_ref(),
                "RECORD",
                None,
                "their person record was imported".to_owned(),
            ),
            RecordKind::Identifier {
                person_id,
                kind,
                value,
                place,
                ..
            } => {
                let rel = if *kind == IdentifierKind::Address {
                    "LIVES_AT"
                } else {
                    "USES"
                };
                let postcode = place.as_ref().and_then(|p| p.postcode.as_deref());
                let label = watch_key(*kind, value, postcode)
                    .map_or("address".to_owned(), |k| k.replacen(':', " ", 1));
                touch(
                    r,
                    format!("person:{person_id}"),
                    None,
                    rel,
                    Some(node_key(*kind, value)),
                    format!("recorded as using {label}"),
                );
                if let Some(key) = watch_key(*kind, value, postcode) {
                    touch(
                        r,
                        key,
                        None,
                        rel,
                        Some(format!("Person:{person_id}")),
                        "recorded as used by a person".to_owned(),
                    );
                }
            }
            RecordKind::Incident {
                id,
                crime_type,
                operation,
                people,
                ..
            } => {
                for (person, role) in people {
                    touch(
                        r,
                        format!("person:{person}"),
                        operation.as_ref(),
                        "INVOLVED_IN",
                        Some(format!("Incident:{id}")),
                        format!("{role} in incident {id} ({crime_type})"),
                    );
                }
            }
            RecordKind::Missing {
                id,
                person_id,
                reported_at,
                risk_grade,
                operation,
                ..
            } => touch(
                r,
                format!("person:{person_id}"),
                operation.as_ref(),
                "WENT_MISSING",
                Some(format!("MissingEpisode:{id}")),
                format!("reported missing {reported_at} (risk {risk_grade})"),
            ),
            RecordKind::Call { caller, callee, .. } => {
                touch(
                    r,
                    format!("phone:{caller}"),
                    None,
                    "CALLED",
                    Some(format!("Phone:{callee}")),
                    "called another phone".to_owned(),
                );
                touch(
                    r,
                    format!("phone:{callee}"),
                    None,
                    "CALLED",
                    Some(format!("Phone:{caller}")),
                    "was called by another phone".to_owned(),
                );
            }
            RecordKind::Edge { from, to, .. } => {
                for (a, b) in [(from, to), (to, from)] {
                    touch(
                        r,
                        format!("person:{a}"),
                        None,
                        "ASSOCIATE_OF",
                        Some(format!("Person:{b}")),
                        "recorded as an associate of a person".to_owned(),
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{ImportKind, ImportOptions, RowFormat, parse_bytes};

    fn records(kind: ImportKind, csv: &str) -> Vec<Record> {
        let opts = ImportOptions {
            default_force: Some("WYP".to_owned()),
            ..ImportOptions::default()
        };
        parse_bytes(kind, RowFormat::Csv, csv.as_bytes(), &opts)
            .unwrap()
            .0
    }

    #[test]
    fn a_watched_phone_written_as_imported_is_found_by_its_normalised_key() {
        let rows = records(
            ImportKind::Identifiers,
            "person_id,kind,value\nP1,phone,07700 900001\nP2,phone,07700 900002\n",
        );
        let watched = HashSet::from(["phone:+447700900001".to_owned()]);
        let found = touched(&rows, &watched, Some("OP-A"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].relationship, "USES");
        assert_eq!(found[0].other.as_deref(), Some("Person:P1"));
        assert_eq!(found[0].operation.as_deref(), Some("OP-A"));
        assert_eq!(found[0].line, 2);
    }

    #[test]
    fn a_watched_phone_in_many_calls_is_touched_once_per_other_phone() {
        let mut csv = "caller,callee,start,duration\n".to_owned();
        for i in 0..300 {
            let other = 900_100 + i % 150;
            csv.push_str(&format!(
                "07700900001,07700{other},2026-01-01T10:00:00Z,{i}\n"
            ));
        }
        let rows = records(ImportKind::Calls, &csv);
        let watched = HashSet::from(["phone:+447700900001".to_owned()]);
        let found = touched(&rows, &watched, None);
        assert_eq!(found.len(), MAX_PER_KEY);
        let others: HashSet<_> = found.iter().map(|t| t.other.clone()).collect();
        assert_eq!(others.len(), MAX_PER_KEY);
    }
}
