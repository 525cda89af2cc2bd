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
    "TAKEN_AT",
    "CONFIRMED_LINK",
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

/// Police.uk "Falls within" names of the programme's forces and their codes.
pub const FORCE_NAMES: &[(&str, &str)] = &[
    ("West Yorkshire Police", "WYP"),
    ("Greater Manchester Police", "GMP"),
    ("Metropolitan Police Service", "MPS"),
    ("West Midlands Police", "WMP"),
    ("Merseyside Police", "MER"),
    ("South Yorkshire Police", "SYP"),
    ("North Yorkshire Police", "NYP"),
    ("Humberside Police", "HUM"),
    ("Lancashire Constabulary", "LAN"),
];

/// Whether `code` is a well-formed force code (`WYP`, `GMP`, …): 1–16 ASCII letters,
/// digits or underscores.
pub fn is_force_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 16
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The code of a force from its published name, if it is one of ours.
pub fn force_code(name: &str) -> Option<&'static str> {
    FORCE_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(_, c)| *c)
}

/// Home Office offence codes counted as violence against women and girls: sexual
/// offences, domestic-abuse violence, stalking, harassment and coercive control.
pub const VAWG_OFFENCE_CODES: &[&str] = &[
    "8L", "8M", "8N", "8Q", "8U", "17A", "17B", "19C", "19D", "19E", "19F", "20A", "20B", "21",
    "22A", "22B", "71", "88A",
];

/// Crime types (compared case-insensitively) counted as VAWG where no offence code is
/// recorded. police.uk publishes only "Violence and sexual offences", the nearest proxy.
pub const VAWG_CRIME_TYPES: &[&str] = &[
    "domestic abuse",
    "violence and sexual offences",
    "sexual activity with a child",
    "assault occasioning actual bodily harm",
    "stalking",
    "harassment",
    "controlling or coercive behaviour",
    "rape",
];
