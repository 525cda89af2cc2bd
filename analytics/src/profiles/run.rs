//! One profile end to end, minus the I/O: the window its records come from ([`window`]),
//! then the scoring of those records ([`score`]) into a ranked [`ThreatProfile`].

use chrono::{DateTime, Months, NaiveDate, Utc};

use super::{
    MissingPerson, ProfileConfig, ProfileRow, RegisteredOffender, Suspect, months_before,
    score_missing, score_registered, score_vawg,
};

/// Which operational threat profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreatKind {
    Vawg,
    Missing,
    RegisteredOffender,
}

/// What a profile's query must select: records from `start` up to `as_of`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileWindow {
    pub kind: ThreatKind,
    pub as_of: DateTime<Utc>,
    /// Earliest record the query brings back.
    pub start: DateTime<Utc>,
    /// Start of the window the profile reports (VAWG reads further back for serial
    /// offending).
    pub window_start: DateTime<Utc>,
    /// People born on or before this day are adults at `as_of`.
    pub adult_born_by: NaiveDate,
    /// Most hops a link may take (missing and registered-offender profiles).
    pub link_hops: u32,
    /// Nodes with more links than this are not walked through.
    pub hub_links: u32,
    /// Places within this distance count as near (registered-offender profile).
    pub near_metres: f64,
}

/// The records one profile's query brought back.
#[derive(Debug, Clone, PartialEq)]
pub enum ProfileRecords {
    Vawg(Vec<Suspect>),
    Missing(Vec<MissingPerson>),
    RegisteredOffender(Vec<RegisteredOffender>),
}

/// A scored, ranked profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreatProfile {
    pub rows: Vec<ProfileRow>,
    /// Start of the window the records came from.
    pub window_start: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    pub method: String,
}

/// The window of profile `kind` as of `as_of` under `config`.
pub fn window(kind: ThreatKind, as_of: DateTime<Utc>, config: &ProfileConfig) -> ProfileWindow {
    let adult_born_by = as_of
        .date_naive()
        .checked_sub_months(Months::new(12 * config.missing.child_under_years))
        .unwrap_or(NaiveDate::MIN);
    let (start, window_start, (link_hops, hub_links), near_metres) = match kind {
        ThreatKind::Vawg => {
            let v = &config.vawg;
            let window = months_before(as_of, v.window_months);
            let start = window.min(months_before(as_of, v.serial_window_months));
            (start, window, (0, 0), 0.0)
        }
        ThreatKind::Missing => {
            let m = &config.missing;
            let start = months_before(as_of, m.lookback_months);
            (start, start, (m.link_hops, m.hub_links), 0.0)
        }
        ThreatKind::RegisteredOffender => {
            let r = &config.registered_offenders;
            let start = months_before(as_of, r.lookback_months);
            (start, start, (r.link_hops, r.hub_links), r.near_metres)
        }
    };
    ProfileWindow {
        kind,
        as_of,
        start,
        window_start,
        adult_born_by,
        link_hops,
        hub_links,
        near_metres,
    }
}

/// Scores the records of `window`'s profile with `config` and ranks them.
pub fn score(
    window: &ProfileWindow,
    records: &ProfileRecords,
    config: &ProfileConfig,
) -> ThreatProfile {
    let version = &config.version;
    let rows = match records {
        ProfileRecords::Vawg(suspects) => score_vawg(suspects, window.as_of, &config.vawg, version),
        ProfileRecords::Missing(people) => {
            score_missing(people, window.as_of, &config.missing, version)
        }
        ProfileRecords::RegisteredOffender(offenders) => {
            score_registered(offenders, &config.registered_offenders, version)
        }
    };
    ThreatProfile {
        rows,
        window_start: window.window_start,
        as_of: window.as_of,
        method: version.clone(),
    }
}
