//! The allow-lists: every label, relationship type and enumerated value the graph
//! accepts. Input is checked against these; it never becomes statement text.

/// Node labels.
pub const LABELS: &[&str] = &[
    "Person",
    "Phone",
    "Email",
    "Vehicle",
    "Location",
    "OnlineAccount",
    "Incident",
    "MissingEpisode",
    "Document",
    "Force",
    "Operation",
];

/// Relationship types.
pub const RELATIONSHIP_TYPES: &[&str] = &[
    "USES",
    "LIVES_AT",
    "INVOLVED_IN",
    "OCCURRED_AT",
    "WENT_MISSING",
    "MISSING_FROM",
    "FOUND_AT",
    "CALLED",
    "ASSOCIATE_OF",
    "PART_OF",
    "FOR_FORCE",
    "MENTIONS",
];

/// Roles on `INVOLVED_IN` and `WENT_MISSING`.
pub const ROLES: &[&str] = &["suspect", "victim", "witness", "reporter", "missing person"];

/// Missing-episode risk grades.
pub const RISK_GRADES: &[&str] = &["high", "medium", "low", "no apparent risk"];

/// Checks relationship types against [`RELATIONSHIP_TYPES`]; empty means all but the
/// structural `PART_OF`/`FOR_FORCE`, which would join everything in an operation.
pub fn relationship_types(requested: &[String]) -> Result<Vec<String>, String> {
    if requested.is_empty() {
        return Ok(RELATIONSHIP_TYPES
            .iter()
            .filter(|t| !matches!(**t, "PART_OF" | "FOR_FORCE"))
            .map(|t| (*t).to_owned())
            .collect());
    }
    requested
        .iter()
        .map(|t| {
            let upper = t.to_ascii_uppercase();
            if RELATIONSHIP_TYPES.contains(&upper.as_str()) {
                Ok(upper)
            } else {
                Err(format!(
                    "`{t}` is not a relationship type; use one of {}",
                    RELATIONSHIP_TYPES.join(", ")
                ))
            }
        })
        .collect()
}
