//! Missing persons: repeat-missing individuals, episode risk, exploitation indicators (a
//! missing child linked to an adult suspect or registered offender) and shared places.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::config::MissingConfig;
use super::{Component, Contributor, ProfileRow, Subject, months_before, parse_instant, rank};

/// One missing episode.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Episode {
    pub id: String,
    pub reported_at: String,
    pub returned_at: Option<String>,
    pub risk_grade: Option<String>,
    /// Where the person was found (postcode or place caption).
    pub found_at: Option<String>,
    pub missing_from: Option<String>,
}

/// An adult suspect or registered offender the person is linked to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LinkedAdult {
    /// `Person:id`.
    pub key: String,
    pub name: Option<String>,
    pub rso: bool,
    pub suspect: bool,
    pub hops: i64,
    /// The keys along the path, person to person.
    pub via: Vec<String>,
}

/// A place this person went missing from or was found at that other missing children share.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SharedPlace {
    pub place: String,
    pub others: Vec<String>,
}

/// A person with missing episodes, as the profile query returns them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MissingPerson {
    pub id: String,
    pub name: Option<String>,
    pub force: Option<String>,
    pub dob: Option<String>,
    pub episodes: Vec<Episode>,
    pub links: Vec<LinkedAdult>,
    pub shared_places: Vec<SharedPlace>,
}

/// Age in whole years at `as_of`.
fn age(dob: &str, as_of: DateTime<Utc>) -> Option<u32> {
    let dob = NaiveDate::parse_from_str(dob.get(..10)?, "%Y-%m-%d").ok()?;
    as_of.date_naive().years_since(dob)
}

/// Scores everyone with an episode in the look-back, best first.
pub fn score_missing(
    people: &[MissingPerson],
    as_of: DateTime<Utc>,
    config: &MissingConfig,
    version: &str,
) -> Vec<ProfileRow> {
    let start = months_before(as_of, config.lookback_months);
    let window = chrono::Duration::days(config.repeat_window_days.into());
    let mut rows: Vec<ProfileRow> = people
        .iter()
        .filter_map(|p| {
            let mut episodes: Vec<(DateTime<Utc>, &Episode)> = p
                .episodes
                .iter()
                .filter_map(|e| parse_instant(&e.reported_at).map(|t| (t, e)))
                .filter(|(t, _)| *t >= start && *t < as_of)
                .collect();
            if episodes.is_empty() {
                return None;
            }
            episodes.sort_by_key(|(t, _)| *t);
            // Most episodes reported within any `repeat_window_days` span.
            let mut most = 0;
            let mut lo = 0;
            for hi in 0..episodes.len() {
                while episodes[hi].0 - episodes[lo].0 > window {
                    lo += 1;
                }
                most = most.max(hi - lo + 1);
            }
            let high = episodes
                .iter()
                .filter(|(_, e)| e.risk_grade.as_deref() == Some("high"))
                .count();
            let child = p
                .dob
                .as_deref()
                .and_then(|d| age(d, as_of))
                .map(|a| a < config.child_under_years);
            let adults: Vec<&LinkedAdult> = if child == Some(true) {
                p.links.iter().filter(|l| l.rso || l.suspect).collect()
            } else {
                Vec::new()
            };
            let w = config.weights;
            let component = |name, raw: f64, weight: f64, detail: String| {
                Component::new(name, raw, raw, weight, detail)
            };
            let components = vec![
                component(
                    "episodes",
                    episodes.len() as f64,
                    w.episodes,
                    format!(
                        "{} in {} months, at most {most} within {} days",
                        super::count(episodes.len(), "episode", "episodes"),
                        config.lookback_months,
                        config.repeat_window_days
                    ),
                ),
                component(
                    "high_risk",
                    high as f64,
                    w.high_risk,
                    if high == 0 {
                        "none graded high risk".to_owned()
                    } else {
                        format!("{high} graded high risk")
                    },
                ),
                component(
                    "exploitation",
                    adults.len().min(3) as f64,
                    w.exploitation,
                    if adults.is_empty() {
                        "no link to an adult suspect or registered offender".to_owned()
                    } else {
                        format!(
                            "linked to {}",
                            adults
                                .iter()
                                .map(|a| format!(
                                    "{} ({}, {} links via {})",
                                    a.key,
                                    if a.rso {
                                        "registered offender"
                                    } else {
                                        "suspect"
                                    },
                                    a.hops,
                                    a.via.join(" – ")
                                ))
                                .collect::<Vec<_>>()
                                .join("; ")
                        )
                    },
                ),
                component(
                    "shared_places",
                    p.shared_places.len() as f64,
                    w.shared_places,
                    if p.shared_places.is_empty() {
                        "no place shared with other missing children".to_owned()
                    } else {
                        p.shared_places
                            .iter()
                            .map(|s| format!("{} with {}", s.place, s.others.join(", ")))
                            .collect::<Vec<_>>()
                            .join("; ")
                    },
                ),
            ];
            let mut flags = Vec::new();
            if most >= config.repeat_min_episodes as usize {
                flags.push(format!(
                    "repeat missing: {most} episodes within {} days",
                    config.repeat_window_days
                ));
            }
            if child == Some(true) {
                flags.push("child".to_owned());
            }
            if !adults.is_empty() {
                flags.push("exploitation indicator".to_owned());
            }
            let mut contributors: Vec<Contributor> = episodes
                .iter()
                .rev()
                .map(|(t, e)| Contributor {
                    key: format!("MissingEpisode:{}", e.id),
                    at: Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    description: format!(
                        "missing{}{}, risk {}",
                        e.missing_from
                            .as_deref()
                            .map(|f| format!(" from {f}"))
                            .unwrap_or_default(),
                        e.found_at
                            .as_deref()
                            .map(|f| format!(", found at {f}"))
                            .unwrap_or_default(),
                        e.risk_grade.as_deref().unwrap_or("ungraded")
                    ),
                    harm: None,
                })
                .collect();
            contributors.extend(adults.iter().map(|a| Contributor {
                key: a.key.clone(),
                at: None,
                description: format!("linked adult, {} links via {}", a.hops, a.via.join(" – ")),
                harm: None,
            }));
            Some(ProfileRow::scored(
                "score",
                Subject {
                    id: &p.id,
                    name: &p.name,
                    force: &p.force,
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

    fn episode(id: &str, at: &str, risk: &str) -> Episode {
        Episode {
            id: id.into(),
            reported_at: at.into(),
            returned_at: None,
            risk_grade: Some(risk.into()),
            found_at: Some("HX1 2LS".into()),
            missing_from: None,
        }
    }

    #[test]
    fn a_repeat_missing_child_linked_to_a_suspect_outranks_an_adult() {
        let c = ProfileConfig::builtin();
        let as_of = parse_instant("2024-12-01T00:00:00Z").unwrap();
        let child = MissingPerson {
            id: "C".into(),
            name: None,
            force: None,
            dob: Some("2010-01-01".into()),
            episodes: vec![
                episode("1", "2024-03-01T00:00:00Z", "high"),
                episode("2", "2024-04-01T00:00:00Z", "medium"),
                episode("3", "2024-05-15T00:00:00Z", "medium"),
            ],
            links: vec![LinkedAdult {
                key: "Person:A".into(),
                name: None,
                rso: false,
                suspect: true,
                hops: 3,
                via: vec!["Phone:+1".into(), "Phone:+2".into()],
            }],
            shared_places: vec![],
        };
        let adult = MissingPerson {
            id: "D".into(),
            dob: Some("1980-01-01".into()),
            links: child.links.clone(),
            ..child.clone()
        };
        let rows = score_missing(&[adult, child], as_of, &c.missing, &c.version);
        assert_eq!(rows[0].person_id, "C");
        // 3 episodes + 2×1 high + 5×1 link = 10; the adult gets no exploitation share.
        assert_eq!(rows[0].score, 10.0);
        assert_eq!(rows[1].score, 5.0);
        assert!(
            rows[0]
                .flags
                .iter()
                .any(|f| f.starts_with("repeat missing: 3"))
        );
        assert!(rows[0].flags.contains(&"exploitation indicator".to_owned()));
        assert!(!rows[1].flags.contains(&"child".to_owned()));
    }
}
