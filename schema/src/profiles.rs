//! GraphQL threat profiles (VAWG RFGV, missing persons, registered offenders) and force
//! profiles, each row with its components, contributing records and method version.

use std::collections::BTreeMap;

use async_graphql::connection::{Connection, Edge, query};
use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use toex_analytics::profiles::ProfileRow;
use toex_analytics::profiles::ThreatKind as GraphKind;
use toex_analytics::spatial::{self, MapOptions};
use toex_pipeline::profiles::threat_profile;

use crate::Services;
use crate::error::{ApiError, ApiResult};
use crate::query::{DEFAULT_PAGE_SIZE, page_size};
use toex_graph::Scope;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ThreatKind {
    /// VAWG priority perpetrators, ranked by RFGV.
    Vawg,
    /// Repeat and at-risk missing people, with exploitation indicators.
    Missing,
    /// Registered offenders whose links or homes reach missing children or victims.
    RegisteredOffender,
}

impl From<ThreatKind> for GraphKind {
    fn from(k: ThreatKind) -> Self {
        match k {
            ThreatKind::Vawg => GraphKind::Vawg,
            ThreatKind::Missing => GraphKind::Missing,
            ThreatKind::RegisteredOffender => GraphKind::RegisteredOffender,
        }
    }
}

/// One scored component: the raw measure, its band score, weight and contribution.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProfileComponent {
    pub name: String,
    pub raw: f64,
    pub score: f64,
    pub weight: f64,
    pub contribution: f64,
    pub detail: String,
}

/// A record behind a row.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProfileContributor {
    /// `Label:id`.
    pub key: String,
    pub at: Option<String>,
    pub description: String,
    pub harm: Option<f64>,
}

/// One ranked person.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct ThreatProfileRow {
    /// 1 for the highest score.
    pub rank: i32,
    /// `Person:id`, as in the network.
    pub key: String,
    pub person_id: String,
    pub name: Option<String>,
    pub force: Option<String>,
    pub score: f64,
    pub components: Vec<ProfileComponent>,
    pub flags: Vec<String>,
    pub contributors: Vec<ProfileContributor>,
    pub explanation: String,
    /// The method's version (weights, bands, windows).
    pub method: String,
}

#[async_graphql::ComplexObject]
impl ThreatProfileRow {
    /// The person's node (batched across rows: one query per page, not per row).
    async fn person(&self, ctx: &Context<'_>) -> ApiResult<Option<crate::types::Person>> {
        let loader = ctx
            .data_unchecked::<async_graphql::dataloader::DataLoader<crate::loaders::PersonLoader>>(
            );
        let scope = crate::access::scope(ctx)?;
        loader
            .load_one(crate::loaders::Scoped::new(&scope, self.person_id.clone()))
            .await
    }
}

/// Totals beside a page of rows.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProfileTotals {
    pub total: i32,
    pub method: String,
    pub as_of: DateTime<Utc>,
    pub window_start: DateTime<Utc>,
}

fn row(rank: usize, r: ProfileRow) -> ThreatProfileRow {
    ThreatProfileRow {
        rank: rank as i32 + 1,
        key: format!("Person:{}", r.person_id),
        person_id: r.person_id,
        name: r.name,
        force: r.force,
        score: r.score,
        components: r
            .components
            .into_iter()
            .map(|c| ProfileComponent {
                name: c.name.to_owned(),
                raw: c.raw,
                score: c.score,
                weight: c.weight,
                contribution: c.contribution,
                detail: c.detail,
            })
            .collect(),
        flags: r.flags,
        contributors: r
            .contributors
            .into_iter()
            .map(|c| ProfileContributor {
                key: c.key,
                at: c.at,
                description: c.description,
                harm: c.harm,
            })
            .collect(),
        explanation: r.explanation,
        method: r.method,
    }
}

/// The caller's scope narrowed to one force code they hold.
fn force_scope(ctx: &Context<'_>, force: &str) -> ApiResult<Scope> {
    let f = force.trim().to_uppercase();
    if !toex_graph::vocab::is_force_code(&f) {
        return Err(ApiError::bad_input(format!(
            "`{force}` is not a force code such as WYP"
        )));
    }
    crate::access::scope_for(ctx, &[f], &[])
}

/// Counts for one category in the period, the one before, and per month.
#[derive(Debug, Clone, SimpleObject)]
pub struct CategoryTrend {
    pub category: String,
    pub vawg: bool,
    pub count: u64,
    pub previous_count: u64,
    /// (count − previous) / previous; null when the previous period had none.
    pub change: Option<f64>,
    pub harm: f64,
    pub months: Vec<MonthCount>,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct MonthCount {
    /// `YYYY-MM-01`.
    pub month: String,
    pub count: u64,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct RepeatVictim {
    pub key: String,
    pub name: Option<String>,
    pub incidents: u64,
    pub incident_keys: Vec<String>,
}

/// A hot cell of the period (Gi*, 250 m cells, hot at ≥ 95%).
#[derive(Debug, Clone, SimpleObject)]
pub struct ProfileHotspot {
    pub id: String,
    pub count: u64,
    pub z: f64,
    pub geometry: async_graphql::Json<serde_json::Value>,
}

/// A force's picture for a period, against the period of equal length before it.
#[derive(Debug, Clone, SimpleObject)]
pub struct ForceProfile {
    pub force: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub previous_from: DateTime<Utc>,
    pub total_incidents: u64,
    pub previous_total_incidents: u64,
    pub categories: Vec<CategoryTrend>,
    pub top_perpetrators: Vec<ThreatProfileRow>,
    pub repeat_victims: Vec<RepeatVictim>,
    pub repeat_missing: Vec<ThreatProfileRow>,
    pub hotspots: Vec<ProfileHotspot>,
    pub method: String,
}

#[derive(Default)]
pub struct ProfileQuery;

#[Object]
impl ProfileQuery {
    /// A ranked operational threat profile for one force as of a date (default now):
    /// each row with its score, components, contributing records, flags, a one-line
    /// explanation and the method version. The method (weights, bands, windows) is the
    /// `profiles.config` file or the built-in one. With `person`, only that person's row
    /// (ranked within the whole profile; none when they are not in it): the profiles a
    /// person page lists.
    #[allow(clippy::too_many_arguments)]
    async fn threat_profile(
        &self,
        ctx: &Context<'_>,
        kind: ThreatKind,
        force: String,
        as_of: Option<DateTime<Utc>>,
        person: Option<String>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, ThreatProfileRow, ProfileTotals>> {
        let services = ctx.data_unchecked::<Services>().clone();
        let first = page_size(first)?;
        let scope = force_scope(ctx, &force)?;
        let as_of = as_of.unwrap_or_else(Utc::now);
        let profile = threat_profile(
            &services.graph,
            &services.cpu,
            kind.into(),
            &scope,
            as_of,
            &services.profiles,
        )
        .await
        .map_err(ApiError::from)?;
        query(
            after,
            None,
            Some(first as i32),
            None,
            |after: Option<usize>, _before: Option<usize>, first, _last| async move {
                let offset = after.map_or(0, |a| a + 1);
                let limit = first.unwrap_or(DEFAULT_PAGE_SIZE);
                let total = profile.rows.len();
                let totals = ProfileTotals {
                    total: total as i32,
                    method: profile.method.clone(),
                    as_of: profile.as_of,
                    window_start: profile.window_start,
                };
                if let Some(person) = person {
                    let mut connection = Connection::with_additional_fields(false, false, totals);
                    connection.edges.extend(
                        profile
                            .rows
                            .into_iter()
                            .enumerate()
                            .filter(|(_, r)| r.person_id == person)
                            .map(|(i, r)| Edge::new(i, row(i, r))),
                    );
                    return Ok(connection);
                }
                let mut connection =
                    Connection::with_additional_fields(offset > 0, offset + limit < total, totals);
                connection.edges.extend(
                    profile
                        .rows
                        .into_iter()
                        .enumerate()
                        .skip(offset)
                        .take(limit)
                        .map(|(i, r)| Edge::new(i, row(i, r))),
                );
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }

    /// Counts and monthly trends per category, top perpetrators, repeat victims, repeat
    /// missing and hot cells for `[from, to)`, compared with the equally long period before.
    async fn force_profile(
        &self,
        ctx: &Context<'_>,
        force: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> async_graphql::Result<ForceProfile> {
        let services = ctx.data_unchecked::<Services>().clone();
        let scope = force_scope(ctx, &force)?;
        if from >= to {
            return Err(ApiError::bad_input("`from` must be before `to`").into());
        }
        if to - from > chrono::Duration::days(3 * 366) {
            return Err(ApiError::bad_input("a force profile covers at most three years").into());
        }
        let previous_from = from - (to - from);
        let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let graph = &services.graph;
        let months = graph
            .category_months(&scope, &rfc(previous_from), &rfc(from), &rfc(to))
            .await
            .map_err(ApiError::from)?;
        let mut by_category: BTreeMap<String, CategoryTrend> = BTreeMap::new();
        for m in months {
            let trend = by_category
                .entry(m.category.clone())
                .or_insert_with(|| CategoryTrend {
                    category: m.category.clone(),
                    vawg: m.vawg,
                    count: 0,
                    previous_count: 0,
                    change: None,
                    harm: 0.0,
                    months: Vec::new(),
                });
            if m.current {
                trend.count += m.count;
                trend.harm += m.harm;
                trend.months.push(MonthCount {
                    month: m.month,
                    count: m.count,
                });
            } else {
                trend.previous_count += m.count;
            }
        }
        let mut categories: Vec<CategoryTrend> = by_category
            .into_values()
            .map(|mut t| {
                t.months.sort_by(|a, b| a.month.cmp(&b.month));
                t.change = (t.previous_count > 0)
                    .then(|| (t.count as f64 - t.previous_count as f64) / t.previous_count as f64);
                t
            })
            .collect();
        categories.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));
        let incidents = |current: bool| {
            categories
                .iter()
                .filter(|c| c.category != "Missing episode")
                .map(|c| if current { c.count } else { c.previous_count })
                .sum::<u64>()
        };
        let (total_incidents, previous_total_incidents) = (incidents(true), incidents(false));

        let (cpu, config) = (&services.cpu, &services.profiles);
        let vawg = threat_profile(graph, cpu, GraphKind::Vawg, &scope, to, config)
            .await
            .map_err(ApiError::from)?;
        let missing = threat_profile(graph, cpu, GraphKind::Missing, &scope, to, config)
            .await
            .map_err(ApiError::from)?;
        let victims = graph
            .repeat_victims(&scope, &rfc(from), &rfc(to), 10)
            .await
            .map_err(ApiError::from)?;
        let places = graph
            .hotspot_places(
                toex_graph::HotspotKind::Incidents,
                &toex_graph::HotspotFilter {
                    scope: scope.clone(),
                    from: Some(rfc(from)),
                    to: Some(rfc(to)),
                    crime_types: None,
                },
            )
            .await
            .map_err(ApiError::from)?;
        let options = MapOptions {
            method: spatial::Method::GiStar,
            weighting: spatial::Weighting::Count,
            cell_size: 250.0,
            band: None,
            bandwidth: None,
            fdr: false,
            hot_share: 0.05,
        };
        let map = services
            .cpu
            .run(move || spatial::analyse(&places, None, options))
            .await
            .map_err(ApiError::from)?;
        // Too few located cells for Gi* is not an error for a force profile: no hot-spots.
        let mut hot: Vec<ProfileHotspot> = map
            .map(|m| m.cells)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.hot)
            .map(|c| ProfileHotspot {
                id: c.id,
                count: c.count,
                z: c.z.unwrap_or(0.0),
                geometry: async_graphql::Json(c.geometry),
            })
            .collect();
        hot.sort_by(|a, b| b.z.partial_cmp(&a.z).unwrap_or(std::cmp::Ordering::Equal));
        hot.truncate(10);
        Ok(ForceProfile {
            force,
            from,
            to,
            previous_from,
            total_incidents,
            previous_total_incidents,
            categories,
            top_perpetrators: vawg
                .rows
                .into_iter()
                .take(10)
                .enumerate()
                .map(|(i, r)| row(i, r))
                .collect(),
            repeat_victims: victims
                .into_iter()
                .map(|v| RepeatVictim {
                    key: format!("Person:{}", v.id),
                    name: v.name,
                    incidents: v.incidents,
                    incident_keys: v.ids.into_iter().map(|i| format!("Incident:{i}")).collect(),
                })
                .collect(),
            repeat_missing: missing
                .rows
                .into_iter()
                .enumerate()
                .filter(|(_, r)| r.flags.iter().any(|f| f.starts_with("repeat missing")))
                .take(10)
                .map(|(i, r)| row(i, r))
                .collect(),
            hotspots: hot,
            method: services.profiles.version.clone(),
        })
    }
}
