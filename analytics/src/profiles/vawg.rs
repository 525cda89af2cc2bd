//! VAWG priority perpetrators ranked by RFGV: Recency, Frequency, Gravity (CHI days) and
//! Victims, each banded 0–5 and weighted, plus the serial-perpetrator flag.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::config::{VawgConfig, at_least_score, up_to_score};
use super::{
    Component, Contributor, ProfileRow, Subject, months_before, months_between, parse_instant, rank,
};

/// A VAWG incident in which a person is a suspect.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SuspectIncident {
    pub id: String,
    pub crime_type: Option<String>,
    pub offence_code: Option<String>,
    pub occurred_at: String,
    pub harm: Option<f64>,
    /// Ids of the incident's victims.
    pub victims: Vec<String>,
}

/// A suspect and their VAWG incidents before the as-of date.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Suspect {
    pub id: String,
    pub name: Option<String>,
    pub force: Option<String>,
    pub incidents: Vec<SuspectIncident>,
}

/// Scores every suspect with at least one incident in the window, best first.
pub fn score_vawg(
    suspects: &[Suspect],
    as_of: DateTime<Utc>,
    config: &VawgConfig,
    version: &str,
) -> Vec<ProfileRow> {
    let window_start = months_before(as_of, config.window_months);
    let serial_start = months_before(as_of, config.serial_window_months);
    let mut rows: Vec<ProfileRow> = suspects
        .iter()
        .filter_map(|s| {
            let dated: Vec<(DateTime<Utc>, &SuspectIncident)> = s
                .incidents
                .iter()
                .filter_map(|i| parse_instant(&i.occurred_at).map(|t| (t, i)))
                .filter(|(t, _)| *t < as_of)
                .collect();
            let in_window: Vec<_> = dated.iter().filter(|(t, _)| *t >= window_start).collect();
            let last = in_window.iter().map(|(t, _)| *t).max()?;
            let months = months_between(last, as_of);
            let frequency = in_window.len() as f64;
            let gravity: f64 = in_window.iter().map(|(_, i)| i.harm.unwrap_or(0.0)).sum();
            let victims: BTreeSet<&str> = in_window
                .iter()
                .flat_map(|(_, i)| i.victims.iter().map(String::as_str))
                .collect();
            let serial_victims: BTreeSet<&str> = dated
                .iter()
                .filter(|(t, _)| *t >= serial_start)
                .flat_map(|(_, i)| i.victims.iter().map(String::as_str))
                .collect();
            let w = config.weights;
            let component = Component::new;
            let components = vec![
                component(
                    "recency",
                    months,
                    up_to_score(&config.recency, months),
                    w.recency,
                    format!(
                        "{months:.1} months since the last incident ({})",
                        last.date_naive()
                    ),
                ),
                component(
                    "frequency",
                    frequency,
                    at_least_score(&config.frequency, frequency),
                    w.frequency,
                    format!(
                        "{} in {} months",
                        super::count(frequency as usize, "incident", "incidents"),
                        config.window_months
                    ),
                ),
                component(
                    "gravity",
                    gravity,
                    at_least_score(&config.gravity, gravity),
                    w.gravity,
                    format!("{gravity:.0} CHI days in all"),
                ),
                component(
                    "victims",
                    victims.len() as f64,
                    at_least_score(&config.victims, victims.len() as f64),
                    w.victims,
                    super::count(victims.len(), "victim", "distinct victims"),
                ),
            ];
            let mut flags = Vec::new();
            if serial_victims.len() >= config.serial_min_victims as usize {
                flags.push(format!(
                    "serial perpetrator: {} victims within {} months",
                    serial_victims.len(),
                    config.serial_window_months
                ));
            }
            let mut contributors: Vec<Contributor> = in_window
                .iter()
                .map(|(t, i)| Contributor {
                    key: format!("Incident:{}", i.id),
                    at: Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    description: format!(
                        "{}{} against {}",
                        i.crime_type.as_deref().unwrap_or("incident"),
                        i.offence_code
                            .as_deref()
                            .map(|c| format!(" ({c})"))
                            .unwrap_or_default(),
                        if i.victims.is_empty() {
                            "no recorded victim".to_owned()
                        } else {
                            i.victims.join(", ")
                        }
                    ),
                    harm: i.harm,
                })
                .collect();
            contributors.sort_by(|a, b| b.at.cmp(&a.at));
            Some(ProfileRow::scored(
                "RFGV",
                Subject {
                    id: &s.id,
                    name: &s.name,
                    force: &s.force,
                },
                components,
                flags,
                contributors,
                version,
            ))
        })
        .collect();
    rank(&mut rows);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::ProfileConfig;

    fn incident(id: &str, at: &str, harm: f64, victims: &[&str]) -> SuspectIncident {
        SuspectIncident {
            id: id.to_owned(),
            crime_type: Some("Assault occasioning actual bodily harm".to_owned()),
            offence_code: Some("8N".to_owned()),
            occurred_at: at.to_owned(),
            harm: Some(harm),
            victims: victims.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn as_of() -> DateTime<Utc> {
        parse_instant("2025-01-01T00:00:00Z").unwrap()
    }

    /// Worked by hand with the built-in bands and unit weights.
    #[test]
    fn rfgv_components_match_a_hand_worked_example() {
        let a = Suspect {
            id: "A".into(),
            name: Some("Suspect A".into()),
            force: Some("WYP".into()),
            incidents: vec![
                // 2024-12-01 is 31 days before as-of: 1.02 months → recency band ≤3 → 4.
                incident("1", "2024-12-01T00:00:00Z", 182.0, &["V1"]),
                incident("2", "2024-06-01T00:00:00Z", 182.0, &["V2"]),
                incident("3", "2024-03-01T00:00:00Z", 60.0, &["V1"]),
                // Outside the 12-month window, inside the 36-month serial window.
                incident("4", "2022-06-01T00:00:00Z", 365.0, &["V3"]),
            ],
        };
        let c = ProfileConfig::builtin();
        let rows = score_vawg(&[a], as_of(), &c.vawg, &c.version);
        let r = &rows[0];
        let by = |n: &str| r.components.iter().find(|c| c.name == n).unwrap().clone();
        assert_eq!(by("recency").raw, 1.02);
        assert_eq!(by("recency").score, 4.0);
        // 3 incidents → frequency band from 3 → 3.
        assert_eq!((by("frequency").raw, by("frequency").score), (3.0, 3.0));
        // 182 + 182 + 60 = 424 CHI days → gravity band from 365 → 4.
        assert_eq!((by("gravity").raw, by("gravity").score), (424.0, 4.0));
        // Victims V1, V2 → 2 → band from 2 → 3.
        assert_eq!((by("victims").raw, by("victims").score), (2.0, 3.0));
        assert_eq!(r.score, 4.0 + 3.0 + 4.0 + 3.0);
        assert_eq!(r.contributors.len(), 3);
        assert_eq!(r.contributors[0].key, "Incident:1");
        assert!(
            r.flags[0].contains("3 victims within 36 months"),
            "{:?}",
            r.flags
        );
        assert!(
            r.explanation.starts_with("RFGV 14 = recency 4×1"),
            "{}",
            r.explanation
        );
        assert_eq!(r.method, c.version);
    }

    #[test]
    fn changing_a_weight_changes_the_ranking_as_expected() {
        // B: one grave, recent incident; C: many minor ones against several victims.
        let b = Suspect {
            id: "B".into(),
            name: None,
            force: None,
            incidents: vec![incident("b1", "2024-12-20T00:00:00Z", 1825.0, &["X"])],
        };
        let c_ = Suspect {
            id: "C".into(),
            name: None,
            force: None,
            incidents: (0..6)
                .map(|k| {
                    incident(
                        &format!("c{k}"),
                        "2024-05-01T00:00:00Z",
                        2.0,
                        &[["Y", "Z", "W"][k % 3]],
                    )
                })
                .collect(),
        };
        let mut config = ProfileConfig::builtin().clone();
        let order = |config: &ProfileConfig| {
            score_vawg(
                &[b.clone(), c_.clone()],
                as_of(),
                &config.vawg,
                &config.version,
            )
            .iter()
            .map(|r| r.person_id.clone())
            .collect::<Vec<_>>()
        };
        // Unit weights: B = 5+1+5+1 = 12; C = 2+4+1+4 = 11 (8.05 months, 6, 12 days, 3).
        assert_eq!(order(&config), ["B", "C"]);
        config.vawg.weights.victims = 3.0;
        // B = 12 + 2 = 14; C = 11 + 8 = 19.
        assert_eq!(order(&config), ["C", "B"]);
    }

    #[test]
    fn incidents_after_as_of_or_outside_the_window_do_not_count() {
        let d = Suspect {
            id: "D".into(),
            name: None,
            force: None,
            incidents: vec![
                incident("late", "2025-02-01T00:00:00Z", 100.0, &["V"]),
                incident("old", "2023-01-01T00:00:00Z", 100.0, &["V"]),
            ],
        };
        let c = ProfileConfig::builtin();
        assert!(score_vawg(&[d], as_of(), &c.vawg, &c.version).is_empty());
    }
}
