//! The import statements (static text, parameters only) and the rows they take.

use neo4rs::BoltType;

use super::ImportKind;
use super::records::{IdentifierKind, Record, RecordKind, bolt_map, place_pairs};
use super::schedule::Group;
use crate::names;

mod calls;
#[cfg(test)]
pub use calls::balanced_buckets;
pub use calls::{CallPair, CallRows, aggregate_calls, number_calls, phone_row};

/// `SET` clauses that widen a relationship's first/last-seen window; idempotent.
macro_rules! seen {
    ($rel:literal) => {
        concat!(
            " SET ",
            $rel,
            ".firstSeen = CASE WHEN row.firstSeen IS NULL THEN ",
            $rel,
            ".firstSeen",
            " WHEN ",
            $rel,
            ".firstSeen IS NULL OR datetime(row.firstSeen) < ",
            $rel,
            ".firstSeen THEN datetime(row.firstSeen) ELSE ",
            $rel,
            ".firstSeen END,",
            " ",
            $rel,
            ".lastSeen = CASE WHEN row.lastSeen IS NULL THEN ",
            $rel,
            ".lastSeen",
            " WHEN ",
            $rel,
            ".lastSeen IS NULL OR datetime(row.lastSeen) > ",
            $rel,
            ".lastSeen THEN datetime(row.lastSeen) ELSE ",
            $rel,
            ".lastSeen END"
        )
    };
}

/// `ON CREATE SET` for a node of `label` keyed by `id`.
macro_rules! created {
    ($var:literal, $label:literal, $($id:literal),+) => {
        concat!(
            " ON CREATE SET ", $var, ":Entity, ", $var, ".key = '", $label, ":' + ", $($id),+, ", ",
            $var, ".force = row.force, ", $var, ".source = $source"
        )
    };
}

/// A `Location` from the row's place fields, linked from `$from` by `$rel`.
macro_rules! place {
    ($from:literal, $rel:literal, $prefix:literal) => {
        concat!(
            " FOREACH (_ IN CASE WHEN row.",
            $prefix,
            "locationId IS NULL THEN [] ELSE [1] END |",
            " MERGE (l:Location {id: row.",
            $prefix,
            "locationId})",
            created!("l", "Location", "row.", $prefix, "locationId"),
            " SET l.postcode = coalesce(row.",
            $prefix,
            "postcode, l.postcode), l.lsoa = coalesce(row.",
            $prefix,
            "lsoa, l.lsoa), l.lsoaName = coalesce(row.",
            $prefix,
            "lsoaName, l.lsoaName),",
            " l.address = coalesce(row.",
            $prefix,
            "address, l.address),",
            " l.caption = coalesce(row.",
            $prefix,
            "postcode, row.",
            $prefix,
            "address, row.",
            $prefix,
            "locationId),",
            " l.point = CASE WHEN row.",
            $prefix,
            "lat IS NULL THEN l.point ELSE point({latitude: row.",
            $prefix,
            "lat, longitude: row.",
            $prefix,
            "lon}) END",
            " MERGE (",
            $from,
            ")-[pl:",
            $rel,
            "]->(l) ON CREATE SET pl.force = row.force, pl.source = $source)"
        )
    };
}

/// `PART_OF` the row's (or the import's) operation, when there is one.
macro_rules! part_of {
    ($var:literal) => {
        concat!(
            " FOREACH (op IN CASE WHEN coalesce(row.operation, $operation) IS NULL THEN [] ELSE [coalesce(row.operation, $operation)] END |",
            " MERGE (o:Operation {id: op})",
            " MERGE (", $var, ")-[po:PART_OF]->(o) ON CREATE SET po.force = row.force, po.source = $source)"
        )
    };
}

/// An identifier node of `label` used by `p` through `rel`.
macro_rules! identifier {
    ($kind:literal, $label:literal, $rel:literal, $extra:literal) => {
        concat!(
            " FOREACH (_ IN CASE WHEN row.kind = '",
            $kind,
            "' THEN [1] ELSE [] END |",
            " MERGE (x:",
            $label,
            " {id: row.value})",
            created!("x", $label, "row.value"),
            " SET x.caption = row.caption",
            $extra,
            " MERGE (p)-[u:",
            $rel,
            "]->(x) ON CREATE SET u.force = row.force, u.source = $source",
            seen!("u"),
            ")"
        )
    };
}

pub const FORCES: &str = "UNWIND $forces AS code \
     MERGE (f:Force {code: code}) ON CREATE SET f:Entity, f.key = 'Force:' + code, f.id = code, f.caption = code, f.force = code";

/// The import's operations, each `FOR_FORCE` its owner: one that another force created
/// keeps its owner and is never tied to the importing force.
pub const OPERATIONS: &str = "UNWIND $rows AS row \
     MERGE (o:Operation {id: row.operation}) ON CREATE SET o:Entity, o.key = 'Operation:' + row.operation, \
       o.name = row.operation, o.caption = row.operation, o.force = row.force \
     WITH o, row WHERE o.force = row.force \
     MATCH (f:Force {code: row.force}) MERGE (o)-[r:FOR_FORCE]->(f) ON CREATE SET r.force = row.force";

pub const KNOWN_PERSONS: &str = "UNWIND $ids AS id MATCH (p:Person {id: id}) RETURN p.id AS id";

pub const OPERATION_OWNERS: &str =
    "UNWIND $ids AS id MATCH (o:Operation {id: id}) RETURN o.id AS id, o.force AS force";

pub const PERSONS: &str = concat!(
    "UNWIND $rows AS row MERGE (p:Person {id: row.id})",
    created!("p", "Person", "row.id"),
    " SET p.name = row.name, p.caption = row.name, p.aliases = row.aliases, p.nameSearch = row.nameSearch,",
    " p.dob = CASE WHEN row.dob IS NULL THEN null ELSE date(row.dob) END, p.gender = row.gender, p.rso = row.rso,",
    " p.visorCategory = row.visorCategory, p.mappaLevel = row.mappaLevel, p.vulnerabilities = row.vulnerabilities,",
    " p.protected = row.protected, p.force = row.force",
    part_of!("p")
);

pub const IDENTIFIERS: &str = concat!(
    "UNWIND $rows AS row MATCH (p:Person {id: row.personId})",
    identifier!("phone", "Phone", "USES", ", x.e164 = row.value"),
    identifier!("email", "Email", "USES", ", x.address = row.value"),
    identifier!("vehicle", "Vehicle", "USES", ", x.vrm = row.value"),
    identifier!(
        "account",
        "OnlineAccount",
        "USES",
        ", x.platform = row.platform, x.handle = row.handle"
    ),
    " FOREACH (_ IN CASE WHEN row.kind = 'address' THEN [1] ELSE [] END |",
    " MERGE (x:Location {id: row.value})",
    created!("x", "Location", "row.value"),
    " SET x.postcode = coalesce(row.postcode, x.postcode), x.lsoa = coalesce(row.lsoa, x.lsoa),",
    " x.address = coalesce(row.address, x.address), x.caption = coalesce(row.postcode, row.caption),",
    " x.point = CASE WHEN row.lat IS NULL THEN x.point ELSE point({latitude: row.lat, longitude: row.lon}) END",
    " MERGE (p)-[u:LIVES_AT]->(x) ON CREATE SET u.force = row.force, u.source = $source",
    seen!("u"),
    ")"
);

pub const INCIDENTS: &str = concat!(
    "UNWIND $rows AS row MERGE (i:Incident {id: row.id})",
    created!("i", "Incident", "row.id"),
    " SET i.crimeType = row.crimeType, i.offenceCode = row.offenceCode, i.occurredAt = datetime(row.occurredAt),",
    " i.harm = row.harm, i.force = row.force, i.caption = row.crimeType + ' ' + left(row.occurredAt, 10)",
    place!("i", "OCCURRED_AT", ""),
    part_of!("i"),
    " WITH i, row UNWIND row.people AS person MATCH (p:Person {id: person.id})",
    " MERGE (p)-[r:INVOLVED_IN {role: person.role}]->(i)",
    " ON CREATE SET r.force = row.force, r.source = $source, r.firstSeen = i.occurredAt, r.lastSeen = i.occurredAt"
);

pub const MISSING: &str = concat!(
    "UNWIND $rows AS row MATCH (p:Person {id: row.personId})",
    " MERGE (m:MissingEpisode {id: row.id})",
    created!("m", "MissingEpisode", "row.id"),
    " SET m.reportedAt = datetime(row.reportedAt),",
    " m.returnedAt = CASE WHEN row.returnedAt IS NULL THEN null ELSE datetime(row.returnedAt) END,",
    " m.riskGrade = row.riskGrade, m.force = row.force, m.caption = 'missing ' + left(row.reportedAt, 10)",
    " MERGE (p)-[w:WENT_MISSING {role: 'missing person'}]->(m)",
    " ON CREATE SET w.force = row.force, w.source = $source, w.firstSeen = m.reportedAt, w.lastSeen = coalesce(m.returnedAt, m.reportedAt)",
    place!("m", "MISSING_FROM", "from_"),
    place!("m", "FOUND_AT", "found_"),
    part_of!("m")
);

/// The phones of a call file that already exist, with their element ids, so the calls
/// find their ends without an index seek. Read-only: no locks, so lookups run side by
/// side, and a phone known before keeps its properties untouched.
pub const KNOWN_PHONES: &str =
    "UNWIND $ids AS id MATCH (a:Phone {id: id}) RETURN id, elementId(a) AS node";

/// The phones of a call file not found by [`KNOWN_PHONES`], merged (another import may
/// have created one since); returns each phone's element id. Every path that creates a
/// phone sets `e164` and `caption` to its id, so a merge that finds one changes nothing.
pub const PHONES: &str = concat!(
    "UNWIND $rows AS row MERGE (a:Phone {id: row.id})",
    created!("a", "Phone", "row.id"),
    ", a.e164 = row.id, a.caption = row.id",
    " RETURN row.id AS id, elementId(a) AS node"
);

/// The ends of each call row, found by element id. A call row is positional (see
/// [`aggregate_calls`]): a list costs neither side a key per value.
macro_rules! call_ends {
    () => {
        concat!(
            "UNWIND $rows AS row",
            " MATCH (a:Phone) WHERE elementId(a) = row[0]",
            " MATCH (b:Phone) WHERE elementId(b) = row[1]"
        )
    };
}

/// Calls of a file already (partly) imported: `MERGE` keeps it idempotent. `caller` and
/// `callee` are the phones' element ids from [`PHONES`] (nothing in toex deletes a phone);
/// the times are native datetimes, so Neo4j parses no strings.
pub const CALLS: &str = concat!(
    call_ends!(),
    " MERGE (a)-[c:CALLED {source: $source}]->(b)",
    " SET c.force = row[2], c.count = row[3], c.totalDuration = row[4],",
    " c.firstSeen = row[5], c.lastSeen = row[6]"
);
/// Calls of a file never imported before: nothing to merge with, so `CREATE`, with every
/// property in one map (faster).
pub const CALLS_FRESH: &str = concat!(
    call_ends!(),
    " CREATE (a)-[:CALLED {source: $source, force: row[2], count: row[3],",
    " totalDuration: row[4], firstSeen: row[5], lastSeen: row[6]}]->(b)"
);

/// Marks an import of aggregates as begun and says whether it is the first: an import
/// that ran before (even one cut short) must `MERGE`, a first one may `CREATE`.
pub const IMPORT_BEGUN: &str = "MERGE (i:Import {id: $source}) \
     ON CREATE SET i.startedAt = datetime(), i.first = true \
     ON MATCH SET i.first = false, i.repeatedAt = datetime() \
     RETURN i.first AS first";

pub const EDGES: &str = concat!(
    "UNWIND $rows AS row",
    " MERGE (a:Person {id: row.from})",
    created!("a", "Person", "row.from"),
    ", a.name = row.from, a.caption = row.from, a.aliases = [], a.nameSearch = row.fromSearch",
    " MERGE (b:Person {id: row.to})",
    created!("b", "Person", "row.to"),
    ", b.name = row.to, b.caption = row.to, b.aliases = [], b.nameSearch = row.toSearch",
    " MERGE (a)-[r:ASSOCIATE_OF {source: $source}]->(b) SET r.weight = row.weight, r.force = row.force",
    part_of!("a"),
    part_of!("b")
);

fn opt<T: Into<BoltType>>(v: Option<T>) -> BoltType {
    v.map_or(BoltType::Null(neo4rs::BoltNull), Into::into)
}

/// The statement for `kind`, its parameter rows, and how many relationships they stand for.
pub fn rows_for(kind: ImportKind, records: &[Record]) -> (&'static str, Vec<BoltType>, u64) {
    match kind {
        ImportKind::Persons => (PERSONS, records.iter().filter_map(person_row).collect(), 0),
        ImportKind::Identifiers => {
            let rows: Vec<BoltType> = records.iter().filter_map(identifier_row).collect();
            let n = rows.len() as u64;
            (IDENTIFIERS, rows, n)
        }
        ImportKind::Incidents | ImportKind::StreetCrime => {
            let mut rels = 0;
            let rows = records
                .iter()
                .filter_map(|r| {
                    let RecordKind::Incident {
                        id,
                        crime_type,
                        offence_code,
                        occurred_at,
                        harm,
                        place,
                        operation,
                        people,
                    } = &r.kind
                    else {
                        return None;
                    };
                    rels += people.len() as u64;
                    let people: Vec<BoltType> = people
                        .iter()
                        .map(|(id, role)| {
                            bolt_map(vec![
                                ("id", id.as_str().into()),
                                ("role", role.as_str().into()),
                            ])
                        })
                        .collect();
                    let mut pairs = vec![
                        ("id", id.as_str().into()),
                        ("force", r.force.as_str().into()),
                        ("crimeType", crime_type.as_str().into()),
                        ("offenceCode", opt(offence_code.clone())),
                        ("occurredAt", occurred_at.as_str().into()),
                        ("harm", opt(*harm)),
                        ("operation", opt(operation.clone())),
                        ("people", BoltType::List(people.into_iter().collect())),
                    ];
                    pairs.extend(place_pairs(place));
                    Some(bolt_map(pairs))
                })
                .collect();
            (INCIDENTS, rows, rels)
        }
        ImportKind::Missing => {
            let rows: Vec<BoltType> = records
                .iter()
                .filter_map(|r| {
                    let RecordKind::Missing {
                        id,
                        person_id,
                        reported_at,
                        returned_at,
                        risk_grade,
                        from,
                        found,
                        operation,
                    } = &r.kind
                    else {
                        return None;
                    };
                    let mut pairs = vec![
                        ("id", id.as_str().into()),
                        ("personId", person_id.as_str().into()),
                        ("force", r.force.as_str().into()),
                        ("reportedAt", reported_at.as_str().into()),
                        ("returnedAt", opt(returned_at.clone())),
                        ("riskGrade", risk_grade.as_str().into()),
                        ("operation", opt(operation.clone())),
                    ];
                    for (prefix, place) in [("from_", from), ("found_", found)] {
                        for (k, v) in place_pairs(place) {
                            pairs.push((prefixed(prefix, k), v));
                        }
                    }
                    Some(bolt_map(pairs))
                })
                .collect();
            let n = rows.len() as u64;
            (MISSING, rows, n)
        }
        // `write_records` builds call rows itself: they need the phones' element ids
        // ([`aggregate_calls`], after [`PHONES`]).
        ImportKind::Calls => (CALLS, Vec::new(), records.len() as u64),
        ImportKind::Edges => {
            let mut weights: std::collections::BTreeMap<(String, String, String), f64> =
                Default::default();
            for r in records {
                if let RecordKind::Edge { from, to, weight } = &r.kind {
                    *weights
                        .entry((from.clone(), to.clone(), r.force.clone()))
                        .or_insert(0.0) += weight;
                }
            }
            let rows = weights
                .into_iter()
                .map(|((from, to, force), weight)| {
                    bolt_map(vec![
                        ("fromSearch", names::search_text([from.as_str()]).into()),
                        ("toSearch", names::search_text([to.as_str()]).into()),
                        ("from", from.into()),
                        ("to", to.into()),
                        ("force", force.into()),
                        ("weight", weight.into()),
                        ("operation", BoltType::Null(neo4rs::BoltNull)),
                    ])
                })
                .collect();
            (EDGES, rows, records.len() as u64)
        }
    }
}

fn prefixed(prefix: &str, key: &'static str) -> &'static str {
    match (prefix, key) {
        ("from_", "locationId") => "from_locationId",
        ("from_", "postcode") => "from_postcode",
        ("from_", "lsoa") => "from_lsoa",
        ("from_", "lsoaName") => "from_lsoaName",
        ("from_", "lat") => "from_lat",
        ("from_", "lon") => "from_lon",
        ("from_", "address") => "from_address",
        ("found_", "locationId") => "found_locationId",
        ("found_", "postcode") => "found_postcode",
        ("found_", "lsoa") => "found_lsoa",
        ("found_", "lsoaName") => "found_lsoaName",
        ("found_", "lat") => "found_lat",
        ("found_", "lon") => "found_lon",
        ("found_", "address") => "found_address",
        (_, k) => k,
    }
}

fn person_row(r: &Record) -> Option<BoltType> {
    let RecordKind::Person {
        id,
        name,
        aliases,
        dob,
        gender,
        rso,
        visor_category,
        mappa_level,
        vulnerabilities,
        protected,
        operation,
    } = &r.kind
    else {
        return None;
    };
    let search = names::search_text(
        std::iter::once(name.as_str()).chain(aliases.iter().map(String::as_str)),
    );
    Some(bolt_map(vec![
        ("id", id.as_str().into()),
        ("name", name.as_str().into()),
        ("aliases", aliases.clone().into()),
        ("nameSearch", search.into()),
        ("dob", opt(dob.clone())),
        ("gender", opt(gender.clone())),
        ("rso", (*rso).into()),
        ("visorCategory", opt(visor_category.clone())),
        ("mappaLevel", opt(*mappa_level)),
        ("vulnerabilities", vulnerabilities.clone().into()),
        ("protected", (*protected).into()),
        ("force", r.force.as_str().into()),
        ("operation", opt(operation.clone())),
    ]))
}

fn identifier_row(r: &Record) -> Option<BoltType> {
    let RecordKind::Identifier {
        person_id,
        kind,
        value,
        caption,
        place,
        first_seen,
        last_seen,
    } = &r.kind
    else {
        return None;
    };
    let kind_name = match kind {
        IdentifierKind::Phone => "phone",
        IdentifierKind::Email => "email",
        IdentifierKind::Vehicle => "vehicle",
        IdentifierKind::Account => "account",
        IdentifierKind::Address => "address",
    };
    let (platform, handle) = match kind {
        IdentifierKind::Account => value.split_once(':').map_or((None, None), |(p, h)| {
            (Some(p.to_owned()), Some(h.to_owned()))
        }),
        _ => (None, None),
    };
    let mut pairs = vec![
        ("personId", person_id.as_str().into()),
        ("kind", kind_name.into()),
        ("value", value.as_str().into()),
        ("caption", caption.as_str().into()),
        ("platform", opt(platform)),
        ("handle", opt(handle)),
        ("force", r.force.as_str().into()),
        ("firstSeen", opt(first_seen.clone())),
        ("lastSeen", opt(last_seen.clone())),
    ];
    pairs.extend(
        place_pairs(place)
            .into_iter()
            .filter(|(k, _)| *k != "locationId"),
    );
    Some(bolt_map(pairs))
}
