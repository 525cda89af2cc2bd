//! Registered offenders whose links reach missing children or victims, or whose homes
//! lie near the places children go missing from or are found at.

use serde::Deserialize;

use super::config::RsoConfig;
use super::{Component, Contributor, ProfileRow, Subject, rank};

/// A missing child or victim a registered offender's links reach.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReachedPerson {
    pub key: String,
    pub name: Option<String>,
    /// `missing child` or `victim`.
    pub reason: String,
    pub hops: i64,
    pub via: Vec<String>,
}

/// A place of concern within `near_metres` of the offender's home.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NearbyPlace {
    pub place: String,
    pub metres: f64,
    /// E.g. `found at: Person:MP-C1`.
    pub reasons: Vec<String>,
}

/// A registered offender with what their links and home reach.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RegisteredOffender {
    pub id: String,
    pub name: Option<String>,
    pub force: Option<String>,
    pub mappa_level: Option<i64>,
    pub visor_category: Option<String>,
    pub reached: Vec<ReachedPerson>,
    pub nearby: Vec<NearbyPlace>,
}

/// Scores offenders who reach anyone or live near any place of concern, best first.
pub fn score_registered(
    offenders: &[RegisteredOffender],
    config: &RsoConfig,
    version: &str,
) -> Vec<ProfileRow> {
    let mut rows: Vec<ProfileRow> = offenders
        .iter()
        .filter(|o| !o.reached.is_empty() || !o.nearby.is_empty())
        .map(|o| {
            let children: Vec<&ReachedPerson> = o
                .reached
                .iter()
                .filter(|r| r.reason == "missing child")
                .collect();
            let victims: Vec<&ReachedPerson> =
                o.reached.iter().filter(|r| r.reason == "victim").collect();
            let w = config.weights;
            let component = |name, raw: f64, weight: f64, detail: String| {
                Component::new(name, raw, raw, weight, detail)
            };
            // "no missing child within 4 links", or "2 missing children within 4 links:
            // Person:MP-A1 (2 links via …); …".
            let reached = |people: &[&ReachedPerson], one: &str, many: &str| {
                if people.is_empty() {
                    return format!("no {one} within {} links", config.link_hops);
                }
                let listed = people
                    .iter()
                    .map(|r| format!("{} ({} links via {})", r.key, r.hops, r.via.join(" – ")))
                    .collect::<Vec<_>>()
                    .join("; ");
                format!(
                    "{} within {} links: {listed}",
                    super::count(people.len(), one, many),
                    config.link_hops
                )
            };
            let mappa = o.mappa_level.unwrap_or(0) as f64;
            let components = vec![
                component(
                    "linked_children",
                    children.len() as f64,
                    w.linked_children,
                    reached(&children, "missing child", "missing children"),
                ),
                component(
                    "linked_victims",
                    victims.len() as f64,
                    w.linked_victims,
                    reached(&victims, "victim", "victims"),
                ),
                component(
                    "nearby_places",
                    o.nearby.len() as f64,
                    w.nearby_places,
                    if o.nearby.is_empty() {
                        format!(
                            "no place of concern within {} m of home",
                            config.near_metres
                        )
                    } else {
                        format!(
                            "{} within {} m of home: {}",
                            super::count(o.nearby.len(), "place of concern", "places of concern"),
                            config.near_metres,
                            o.nearby
                                .iter()
                                .map(|n| format!(
                                    "{} at {:.0} m ({})",
                                    n.place,
                                    n.metres,
                                    n.reasons.join(", ")
                                ))
                                .collect::<Vec<_>>()
                                .join("; ")
                        )
                    },
                ),
                component(
                    "mappa_level",
                    mappa,
                    w.mappa_level,
                    format!("MAPPA level {mappa}"),
                ),
            ];
            let mut flags = vec![format!(
                "registered offender{}",
                o.visor_category
                    .as_deref()
                    .map(|c| format!(", ViSOR category {c}"))
                    .unwrap_or_default()
            )];
            if !children.is_empty() {
                flags.push("linked to missing children".to_owned());
            }
            let contributors = o
                .reached
                .iter()
                .map(|r| Contributor {
                    key: r.key.clone(),
                    at: None,
                    description: format!(
                        "{}, {} links via {}",
                        r.reason,
                        r.hops,
                        r.via.join(" – ")
                    ),
                    harm: None,
                })
                .chain(o.nearby.iter().map(|n| Contributor {
                    key: format!("Location:{}", n.place),
                    at: None,
                    description: format!("{:.0} m from home: {}", n.metres, n.reasons.join(", ")),
                    harm: None,
                }))
                .collect();
            ProfileRow::scored(
                "score",
                Subject {
                    id: &o.id,
                    name: &o.name,
                    force: &o.force,
                },
                components,
                flags,
                contributors,
                version,
            )
        })
        .collect();
    rank(&mut rows);
    rows
}
