//! GraphQL hot-spot maps (Gi* over cells or quartic density) and what lies behind a cell.

use async_graphql::connection::{Connection, Edge, query};
use async_graphql::{ComplexObject, Context, Enum, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use toex_analytics::spatial::{self, MapOptions};
use toex_graph::{HotspotFilter, HotspotKind as GraphKind};

use crate::Services;
use crate::error::{ApiError, ApiResult};
use crate::query::{DEFAULT_PAGE_SIZE, page_size};

/// Most cells one map returns.
const MAX_MAP_CELLS: usize = 50_000;
/// Most hot cells one map names the places of.
const MAX_NAMED_CELLS: i32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum HotspotMethod {
    /// Getis-Ord Gi* over square cells, binary distance band, self included.
    Gistar,
    /// Quartic kernel density on square cells.
    Kde,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum HotspotKind {
    /// Every incident.
    Incidents,
    /// VAWG incidents (offence codes and crime types in the VAWG lists).
    Vawg,
    /// Where missing people were found.
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum HotspotWeighting {
    /// One per record.
    Count,
    /// Crime harm in CHI days (the harm table's version is on the map).
    Harm,
}

/// Gi* confidence class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum HotspotClass {
    Hot99,
    Hot95,
    Hot90,
    NotSignificant,
    Cold90,
    Cold95,
    Cold99,
}

impl From<spatial::HotspotClass> for HotspotClass {
    fn from(c: spatial::HotspotClass) -> Self {
        use spatial::HotspotClass as C;
        match c {
            C::Hot99 => Self::Hot99,
            C::Hot95 => Self::Hot95,
            C::Hot90 => Self::Hot90,
            C::NotSignificant => Self::NotSignificant,
            C::Cold90 => Self::Cold90,
            C::Cold95 => Self::Cold95,
            C::Cold99 => Self::Cold99,
        }
    }
}

/// One square cell.
#[derive(Debug, Clone, SimpleObject)]
pub struct HotspotCell {
    /// `west,south,east,north` in degrees; pass to `hotspotIncidents`.
    pub id: String,
    /// GeoJSON Polygon (lon/lat).
    pub geometry: Json<serde_json::Value>,
    pub count: u64,
    /// Summed harm, CHI days.
    pub harm: f64,
    /// The weighted value the statistic ran on.
    pub value: f64,
    /// Gi* z-score.
    pub z: Option<f64>,
    /// Gi* two-sided p-value.
    pub p: Option<f64>,
    pub class: Option<HotspotClass>,
    /// KDE: weighted density per km² at the cell centre.
    pub density: Option<f64>,
    /// In the hot area: Gi* hot at ≥ 95%, or KDE's densest `hotShare`.
    pub hot: bool,
}

/// A hot-spot map.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct HotspotMap {
    pub method: HotspotMethod,
    pub kind: HotspotKind,
    pub weighting: HotspotWeighting,
    pub cell_size: f64,
    pub band: Option<f64>,
    pub bandwidth: Option<f64>,
    /// Records counted (incidents or episodes with a location).
    pub records: u64,
    pub study_area_km2: f64,
    pub hot_area_km2: f64,
    /// Prediction Accuracy Index over `evaluateFrom`..`evaluateTo`, when asked.
    pub pai: Option<f64>,
    pub pai_records: Option<u64>,
    /// Version of the harm table behind `HARM` weighting.
    pub harm_table: String,
    /// Cells, strongest first (z for Gi*, density for KDE).
    pub cells: Vec<HotspotCell>,
    /// The records the map counted, for naming its cells' places.
    #[graphql(skip)]
    pub records_filter: (GraphKind, HotspotFilter),
}

/// What the records in a hot cell call its place.
#[derive(Debug, Clone, SimpleObject)]
pub struct HotspotPlace {
    /// The cell's id.
    pub cell: String,
    /// The commonest street description (police.uk's "On or near …") or postcode among
    /// the cell's records.
    pub place: Option<String>,
    /// The LSOA it lies in (e.g. "Leeds 111B"), when the data names one.
    pub area: Option<String>,
    /// Records at that place.
    pub records: u64,
    /// Records in the cell.
    pub total: u64,
}

#[ComplexObject]
impl HotspotMap {
    /// The same cells as a GeoJSON FeatureCollection (built only when asked for).
    async fn geojson(&self) -> Json<serde_json::Value> {
        Json(serde_json::json!({
            "type": "FeatureCollection",
            "features": self.cells.iter().map(|c| serde_json::json!({
                "type": "Feature",
                "id": c.id,
                "geometry": c.geometry.0,
                "properties": {
                    "count": c.count, "harm": c.harm, "value": c.value, "z": c.z, "p": c.p,
                    "class": c.class.map(|k| format!("{k:?}")), "density": c.density, "hot": c.hot,
                },
            })).collect::<Vec<_>>(),
        }))
    }

    /// The places of the `first` (at most 100) hot cells, strongest first: what their
    /// records call them, from the data (street descriptions, postcodes, LSOA names).
    async fn places(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
    ) -> async_graphql::Result<Vec<HotspotPlace>> {
        if !(0..=MAX_NAMED_CELLS).contains(&first) {
            return Err(ApiError::bad_input(format!(
                "`first` must be between 0 and {MAX_NAMED_CELLS}"
            ))
            .into());
        }
        let cells: Vec<(String, [f64; 4])> = self
            .cells
            .iter()
            .filter(|c| c.hot)
            .take(first as usize)
            .filter_map(|c| Some((c.id.clone(), spatial::parse_cell_id(&c.id).ok()?)))
            .collect();
        let (kind, filter) = &self.records_filter;
        let services = ctx.data_unchecked::<Services>();
        let places = services
            .graph
            .hotspot_cell_places(*kind, filter, &cells)
            .await
            .map_err(ApiError::from)?;
        Ok(places
            .into_iter()
            .map(|p| HotspotPlace {
                cell: p.cell,
                place: p.place,
                area: p.area,
                records: p.records,
                total: p.total,
            })
            .collect())
    }
}

/// An incident or missing episode behind a cell.
#[derive(Debug, Clone, SimpleObject)]
pub struct CellRecord {
    /// `Label:id`, as in the network.
    pub key: String,
    pub label: String,
    pub caption: Option<String>,
    pub crime_type: Option<String>,
    pub offence_code: Option<String>,
    pub occurred_at: Option<String>,
    pub harm: Option<f64>,
    pub force: Option<String>,
    pub place: Option<String>,
    pub lon: f64,
    pub lat: f64,
}

/// The cell's total alongside the page.
#[derive(Debug, Clone, SimpleObject)]
pub struct CellTotals {
    pub total: u64,
}

#[derive(Default)]
pub struct HotspotQuery;

fn filter(
    ctx: &Context<'_>,
    force: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    crime_types: Option<Vec<String>>,
) -> ApiResult<HotspotFilter> {
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(ApiError::bad_input("`from` must be before `to`"));
    }
    let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(HotspotFilter {
        scope: crate::access::scope_for(ctx, force.as_slice(), &[])?,
        from: from.map(rfc),
        to: to.map(rfc),
        crime_types,
    })
}

fn graph_kind(kind: HotspotKind) -> GraphKind {
    match kind {
        HotspotKind::Incidents => GraphKind::Incidents,
        HotspotKind::Vawg => GraphKind::Vawg,
        HotspotKind::Missing => GraphKind::Missing,
    }
}

#[Object]
impl HotspotQuery {
    /// A hot-spot map of incidents (or where missing people were found): records are
    /// counted into square cells of `cellSize` metres, then either Gi* runs over the
    /// cells (distance `band`, default 1.5 cells) or a quartic kernel of `bandwidth`
    /// (default 3 cells) gives a density surface. With `evaluateFrom`/`evaluateTo` the
    /// map also reports the Prediction Accuracy Index for that later period.
    #[allow(clippy::too_many_arguments)]
    async fn hotspots(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "HotspotMethod::Gistar")] method: HotspotMethod,
        #[graphql(default_with = "HotspotKind::Incidents")] kind: HotspotKind,
        force: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        crime_types: Option<Vec<String>>,
        #[graphql(default = 250.0)] cell_size: f64,
        band: Option<f64>,
        bandwidth: Option<f64>,
        #[graphql(default_with = "HotspotWeighting::Count")] weighting: HotspotWeighting,
        #[graphql(default)] fdr: bool,
        #[graphql(default = 0.05)] hot_share: f64,
        evaluate_from: Option<DateTime<Utc>>,
        evaluate_to: Option<DateTime<Utc>>,
        #[graphql(default)] hot_only: bool,
    ) -> async_graphql::Result<HotspotMap> {
        let services = ctx.data_unchecked::<Services>().clone();
        if !(cell_size.is_finite() && (10.0..=50_000.0).contains(&cell_size)) {
            return Err(
                ApiError::bad_input("`cellSize` must be between 10 and 50000 metres").into(),
            );
        }
        let base = filter(ctx, force.clone(), from, to, crime_types.clone())?;
        let gk = graph_kind(kind);
        let places = services.graph.hotspot_places(gk, &base).await?;
        let records_filter = (gk, base);
        let later = match (evaluate_from, evaluate_to) {
            (None, None) => None,
            (f, t) => {
                let later = filter(ctx, force, f, t, crime_types)?;
                Some(services.graph.hotspot_places(gk, &later).await?)
            }
        };
        let options = MapOptions {
            method: match method {
                HotspotMethod::Gistar => spatial::Method::GiStar,
                HotspotMethod::Kde => spatial::Method::Kde,
            },
            weighting: match weighting {
                HotspotWeighting::Count => spatial::Weighting::Count,
                HotspotWeighting::Harm => spatial::Weighting::Harm,
            },
            cell_size,
            band,
            bandwidth,
            fdr,
            hot_share,
        };
        let map = services
            .cpu
            .run(move || spatial::analyse(&places, later.as_deref(), options))
            .await
            .map_err(ApiError::from)?
            .map_err(ApiError::from)?;
        let mut cells: Vec<HotspotCell> = map
            .cells
            .into_iter()
            .filter(|c| !hot_only || c.hot)
            .map(|c| HotspotCell {
                id: c.id,
                geometry: Json(c.geometry),
                count: c.count,
                harm: c.harm,
                value: c.value,
                z: c.z,
                p: c.p,
                class: c.class.map(HotspotClass::from),
                density: c.density,
                hot: c.hot,
            })
            .collect();
        if method == HotspotMethod::Gistar {
            cells.sort_by(|a, b| b.z.partial_cmp(&a.z).unwrap_or(std::cmp::Ordering::Equal));
        }
        if cells.len() > MAX_MAP_CELLS {
            return Err(ApiError::bad_input(format!(
                "the map has {} cells, more than {MAX_MAP_CELLS}; use larger cells or `hotOnly`",
                cells.len()
            ))
            .into());
        }
        Ok(HotspotMap {
            method,
            kind,
            weighting,
            cell_size,
            band: map.band,
            bandwidth: map.bandwidth,
            records: map.records,
            study_area_km2: map.study_area_km2,
            hot_area_km2: map.hot_area_km2,
            pai: map.pai,
            pai_records: map.pai_records,
            harm_table: toex_analytics::harm::HarmTable::builtin()
                .version()
                .to_owned(),
            cells,
            records_filter,
        })
    }

    /// The incidents (or missing episodes) inside a cell, newest first.
    #[allow(clippy::too_many_arguments)]
    async fn hotspot_incidents(
        &self,
        ctx: &Context<'_>,
        cell: String,
        #[graphql(default_with = "HotspotKind::Incidents")] kind: HotspotKind,
        force: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        crime_types: Option<Vec<String>>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, CellRecord, CellTotals>> {
        let services = ctx.data_unchecked::<Services>().clone();
        let first = page_size(first)?;
        let bounds = spatial::parse_cell_id(&cell).map_err(ApiError::from)?;
        let f = filter(ctx, force, from, to, crime_types)?;
        query(
            after,
            None,
            Some(first as i32),
            None,
            |after: Option<usize>, _before: Option<usize>, first, _last| async move {
                let offset = after.map_or(0, |a| a + 1);
                let limit = first.unwrap_or(DEFAULT_PAGE_SIZE);
                let page = services
                    .graph
                    .hotspot_cell(graph_kind(kind), &f, bounds, offset as u64, limit as u64)
                    .await
                    .map_err(ApiError::from)?;
                let mut connection = Connection::with_additional_fields(
                    offset > 0,
                    (offset + page.records.len()) < page.total as usize,
                    CellTotals { total: page.total },
                );
                connection
                    .edges
                    .extend(page.records.into_iter().enumerate().map(|(i, r)| {
                        Edge::new(
                            offset + i,
                            CellRecord {
                                key: r.key,
                                label: r.label,
                                caption: r.caption,
                                crime_type: r.crime_type,
                                offence_code: r.offence_code,
                                occurred_at: r.occurred_at,
                                harm: r.harm,
                                force: r.force,
                                place: r.place,
                                lon: r.lon,
                                lat: r.lat,
                            },
                        )
                    }));
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }
}
