//! Operational threat profiles: the versioned method (bands, weights, windows) and the
//! pure, explainable scoring of what the profile queries bring back from Neo4j.

mod config;
mod missing;
mod registered;
mod run;
mod vawg;

pub use config::{
    AtLeast, MAX_LINK_HOPS, MissingConfig, ProfileConfig, RsoConfig, UpTo, VawgConfig,
    at_least_score, up_to_score,
};
pub use missing::{Episode, LinkedAdult, MissingPerson, SharedPlace, score_missing};
pub use registered::{NearbyPlace, ReachedPerson, RegisteredOffender, score_registered};
pub use run::{ProfileRecords, ProfileWindow, ThreatKind, ThreatProfile, score, window};
pub use vawg::{Suspect, SuspectIncident, score_vawg};

use chrono::{DateTime, Months, Utc};

/// One scored component of a row: the raw measure, its band score, weight and share.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Component {
    pub name: &'static str,
    pub raw: f64,
    pub score: f64,
    pub weight: f64,
    pub contribution: f64,
    pub detail: String,
}

impl Component {
    /// A component whose band `score` for the measure `raw` counts `weight` times.
    pub(crate) fn new(
        name: &'static str,
        raw: f64,
        score: f64,
        weight: f64,
        detail: String,
    ) -> Self {
        Self {
            name,
            raw: round2(raw),
            score,
            weight,
            contribution: round2(score * weight),
            detail,
        }
    }
}

/// A row's score (the sum of the contributions) and its one-line explanation,
/// `LABEL score = name score×weight (detail) + …`.
pub(crate) fn explain(label: &str, components: &[Component]) -> (f64, String) {
    let score = round2(components.iter().map(|c| c.contribution).sum());
    let parts: Vec<String> = components
        .iter()
        .map(|c| format!("{} {}×{} ({})", c.name, c.score, c.weight, c.detail))
        .collect();
    (score, format!("{label} {score} = {}", parts.join(" + ")))
}

/// `n` with its noun, singular for one: `1 incident`, `3 incidents`.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A record that contributed to a row (an incident, an episode, a link).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Contributor {
    /// `Label:id` of the record.
    pub key: String,
    pub at: Option<String>,
    pub description: String,
    pub harm: Option<f64>,
}

/// One person in a profile, with why they rank where they do.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProfileRow {
    pub person_id: String,
    pub name: Option<String>,
    pub force: Option<String>,
    pub score: f64,
    pub components: Vec<Component>,
    pub flags: Vec<String>,
    pub contributors: Vec<Contributor>,
    pub explanation: String,
    /// The method's `version`.
    pub method: String,
}

/// Who a row is about.
pub(crate) struct Subject<'a> {
    pub id: &'a str,
    pub name: &'a Option<String>,
    pub force: &'a Option<String>,
}

impl ProfileRow {
    /// The row of `who`, scored from `components` and explained under `label` (see
    /// [`explain`]), with the method's `version`.
    pub(crate) fn scored(
        label: &str,
        who: Subject<'_>,
        components: Vec<Component>,
        flags: Vec<String>,
        contributors: Vec<Contributor>,
        version: &str,
    ) -> Self {
        let (score, explanation) = explain(label, &components);
        Self {
            person_id: who.id.to_owned(),
            name: who.name.clone(),
            force: who.force.clone(),
            score,
            components,
            flags,
            contributors,
            explanation,
            method: version.to_owned(),
        }
    }
}

/// `as_of` minus whole months (clamped at the calendar's start).
pub fn months_before(as_of: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    as_of
        .checked_sub_months(Months::new(months))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Average months between two instants.
pub fn months_between(earlier: DateTime<Utc>, later: DateTime<Utc>) -> f64 {
    (later - earlier).num_seconds() as f64 / (30.436_875 * 86_400.0)
}

/// Parses a Neo4j datetime string (`2024-05-01T13:45:00Z`, maybe with offset or zone).
pub(crate) fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.split('[').next().unwrap_or(s);
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Orders rows by score, highest first, then by id, and ranks them.
pub(crate) fn rank(rows: &mut [ProfileRow]) {
    rows.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.person_id.cmp(&b.person_id))
    });
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
