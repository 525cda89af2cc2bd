//! Located counts for hot-spot analysis, aggregated per place in Cypher, the incidents or
//! episodes behind one cell, and what the data calls the places in the hottest cells.

use serde::Deserialize;

use super::scoped;
use crate::vocab::{VAWG_CRIME_TYPES, VAWG_OFFENCE_CODES};
use crate::{GraphClient, GraphError, Scope};

/// What a hot-spot map counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HotspotKind {
    /// Every incident.
    Incidents,
    /// Incidents with a VAWG offence code or crime type.
    Vawg,
    /// Places where missing people were found.
    Missing,
}

/// Which records to count: the caller's compartment, a `[from, to)` window, and crime
/// types.
#[derive(Debug, Clone)]
pub struct HotspotFilter {
    /// Records outside it are never counted.
    pub scope: Scope,
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    pub to: Option<String>,
    /// Crime types (any case); `None`: all.
    pub crime_types: Option<Vec<String>>,
}

pub use toex_analytics::spatial::LocatedCount;

/// One incident or missing episode behind a cell.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CellRecord {
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

/// The records behind a cell, one page of them.
#[derive(Debug, Clone, PartialEq)]
pub struct CellPage {
    pub total: u64,
    pub records: Vec<CellRecord>,
}

/// What the records in a cell call its place: the commonest street description (or
/// postcode) among them and the LSOA it lies in.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CellPlace {
    /// The cell's id, as given.
    pub cell: String,
    pub place: Option<String>,
    /// The LSOA's name (e.g. "Leeds 111B"), when the data has one.
    pub area: Option<String>,
    /// Records at that place.
    pub records: u64,
    /// Records in the cell.
    pub total: u64,
}

#[derive(Deserialize)]
struct Total {
    total: u64,
}

/// Shared `WHERE` for incidents.
macro_rules! incident_filter {
    () => {
        " (i.force IN $forces AND \
          ($operations IS NULL OR EXISTS { MATCH (i)-[:PART_OF]->(op_:Operation) WHERE op_.id IN $operations }))\
          AND ($from IS NULL OR i.occurredAt >= datetime($from))\
          AND ($to IS NULL OR i.occurredAt < datetime($to))\
          AND ($crimeTypes IS NULL OR toLower(i.crimeType) IN $crimeTypes)\
          AND (NOT $vawg OR i.offenceCode IN $vawgCodes OR toLower(i.crimeType) IN $vawgTypes)"
    };
}

/// Shared `WHERE` for missing episodes (found in the window).
macro_rules! missing_filter {
    () => {
        " (m.force IN $forces AND \
          ($operations IS NULL OR EXISTS { MATCH (m)-[q_]-()-[:PART_OF]->(op_:Operation) WHERE q_.force IN $forces AND op_.id IN $operations }))\
          AND ($from IS NULL OR m.reportedAt >= datetime($from))\
          AND ($to IS NULL OR m.reportedAt < datetime($to))"
    };
}

const INCIDENT_PLACES: &str = concat!(
    "MATCH (i:Incident)-[:OCCURRED_AT]->(l:Location) WHERE l.point IS NOT NULL AND",
    incident_filter!(),
    " RETURN l.point.x AS lon, l.point.y AS lat, count(i) AS count,",
    " toFloat(sum(coalesce(i.harm, 0.0))) AS harm"
);

const MISSING_PLACES: &str = concat!(
    "MATCH (m:MissingEpisode)-[:FOUND_AT]->(l:Location) WHERE l.point IS NOT NULL AND",
    missing_filter!(),
    " RETURN l.point.x AS lon, l.point.y AS lat, count(m) AS count, toFloat(count(m)) AS harm"
);

macro_rules! in_cell {
    () => {
        " point.withinBBox(l.point, point({longitude: $west, latitude: $south}),\
          point({longitude: $east, latitude: $north})) AND"
    };
}

const INCIDENT_CELL_TOTAL: &str = concat!(
    "MATCH (i:Incident)-[:OCCURRED_AT]->(l:Location) WHERE",
    in_cell!(),
    incident_filter!(),
    " RETURN count(i) AS total"
);

const INCIDENT_CELL: &str = concat!(
    "MATCH (i:Incident)-[:OCCURRED_AT]->(l:Location) WHERE",
    in_cell!(),
    incident_filter!(),
    " RETURN 'Incident:' + i.id AS key, 'Incident' AS label, i.caption AS caption,",
    " i.crimeType AS crime_type, i.offenceCode AS offence_code,",
    " toString(i.occurredAt) AS occurred_at, i.harm AS harm, i.force AS force,",
    " coalesce(l.address, l.postcode, l.caption, l.id) AS place,",
    " l.point.x AS lon, l.point.y AS lat",
    " ORDER BY i.occurredAt DESC, i.id SKIP $skip LIMIT $limit"
);

const MISSING_CELL_TOTAL: &str = concat!(
    "MATCH (m:MissingEpisode)-[:FOUND_AT]->(l:Location) WHERE",
    in_cell!(),
    missing_filter!(),
    " RETURN count(m) AS total"
);

const MISSING_CELL: &str = concat!(
    "MATCH (m:MissingEpisode)-[:FOUND_AT]->(l:Location) WHERE",
    in_cell!(),
    missing_filter!(),
    " RETURN 'MissingEpisode:' + m.id AS key, 'MissingEpisode' AS label, m.caption AS caption,",
    " null AS crime_type, null AS offence_code, toString(m.reportedAt) AS occurred_at,",
    " null AS harm, m.force AS force,",
    " coalesce(l.address, l.postcode, l.caption, l.id) AS place,",
    " l.point.x AS lon, l.point.y AS lat",
    " ORDER BY m.reportedAt DESC, m.id SKIP $skip LIMIT $limit"
);

/// The cell `c` of the `UNWIND`, as a bounding box on the location's point.
macro_rules! in_unwound_cell {
    () => {
        " point.withinBBox(l.point, point({longitude: c.west, latitude: c.south}),\
          point({longitude: c.east, latitude: c.north})) AND"
    };
}

/// One row per cell: its places ranked by their records of `$var`, the first kept.
macro_rules! cell_places {
    ($var:literal) => {
        concat!(
            " WITH c, coalesce(l.address, l.postcode, l.caption) AS place, l.lsoaName AS area,",
            " count(",
            $var,
            ") AS n ORDER BY n DESC, place",
            " WITH c, collect({place: place, area: area, n: n}) AS ranked, sum(n) AS total",
            " RETURN c.id AS cell, ranked[0].place AS place,",
            " coalesce(ranked[0].area, head([r IN ranked WHERE r.area IS NOT NULL | r.area])) AS area,",
            " ranked[0].n AS records, total"
        )
    };
}

const INCIDENT_CELL_PLACES: &str = concat!(
    "UNWIND $cells AS c MATCH (i:Incident)-[:OCCURRED_AT]->(l:Location) WHERE",
    in_unwound_cell!(),
    incident_filter!(),
    cell_places!("i")
);

const MISSING_CELL_PLACES: &str = concat!(
    "UNWIND $cells AS c MATCH (m:MissingEpisode)-[:FOUND_AT]->(l:Location) WHERE",
    in_unwound_cell!(),
    missing_filter!(),
    cell_places!("m")
);

fn filtered(text: &'static str, kind: HotspotKind, filter: &HotspotFilter) -> neo4rs::Query {
    let lower = |v: &[&str]| v.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
    scoped(text, &filter.scope)
        .param("from", filter.from.clone())
        .param("to", filter.to.clone())
        .param(
            "crimeTypes",
            filter
                .crime_types
                .as_ref()
                .map(|t| t.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>()),
        )
        .param("vawg", kind == HotspotKind::Vawg)
        .param("vawgCodes", VAWG_OFFENCE_CODES.to_vec())
        .param("vawgTypes", lower(VAWG_CRIME_TYPES))
}

impl GraphClient {
    /// Counts and harm per located place for a hot-spot map.
    ///
    /// Cypher: one `MATCH (:Incident)-[:OCCURRED_AT]->(:Location)` (or
    /// `(:MissingEpisode)-[:FOUND_AT]->(:Location)`) aggregated per place, so at most one
    /// row per distinct location comes back, never one per incident.
    pub async fn hotspot_places(
        &self,
        kind: HotspotKind,
        filter: &HotspotFilter,
    ) -> Result<Vec<LocatedCount>, GraphError> {
        let text = match kind {
            HotspotKind::Missing => MISSING_PLACES,
            HotspotKind::Incidents | HotspotKind::Vawg => INCIDENT_PLACES,
        };
        self.rows(filtered(text, kind, filter)).await
    }

    /// What the records in each cell (`id`, `[west, south, east, north]`) call its place,
    /// in the order given; a cell with no records is left out.
    ///
    /// Cypher: one statement, `UNWIND` over the cells, each a `point.withinBBox` on the
    /// `location_point` index, places counted per cell.
    pub async fn hotspot_cell_places(
        &self,
        kind: HotspotKind,
        filter: &HotspotFilter,
        cells: &[(String, [f64; 4])],
    ) -> Result<Vec<CellPlace>, GraphError> {
        if cells.is_empty() {
            return Ok(Vec::new());
        }
        let text = match kind {
            HotspotKind::Missing => MISSING_CELL_PLACES,
            HotspotKind::Incidents | HotspotKind::Vawg => INCIDENT_CELL_PLACES,
        };
        let rows: Vec<neo4rs::BoltType> = cells
            .iter()
            .map(|(id, [west, south, east, north])| {
                let mut m = neo4rs::BoltMap::new();
                m.put("id".into(), id.clone().into());
                m.put("west".into(), (*west).into());
                m.put("south".into(), (*south).into());
                m.put("east".into(), (*east).into());
                m.put("north".into(), (*north).into());
                neo4rs::BoltType::Map(m)
            })
            .collect();
        let found = self
            .rows::<CellPlace>(filtered(text, kind, filter).param("cells", rows))
            .await?;
        let mut by_cell: std::collections::HashMap<String, CellPlace> =
            found.into_iter().map(|p| (p.cell.clone(), p)).collect();
        Ok(cells
            .iter()
            .filter_map(|(id, _)| by_cell.remove(id))
            .collect())
    }

    /// The records inside `[west, south, east, north]`, newest first, and their total.
    ///
    /// Cypher: two statements (`count` and a page), both a `point.withinBBox` on the
    /// `location_point` index.
    pub async fn hotspot_cell(
        &self,
        kind: HotspotKind,
        filter: &HotspotFilter,
        bounds: [f64; 4],
        skip: u64,
        limit: u64,
    ) -> Result<CellPage, GraphError> {
        let (total_text, page_text) = match kind {
            HotspotKind::Missing => (MISSING_CELL_TOTAL, MISSING_CELL),
            HotspotKind::Incidents | HotspotKind::Vawg => (INCIDENT_CELL_TOTAL, INCIDENT_CELL),
        };
        let [west, south, east, north] = bounds;
        let bbox = |q: neo4rs::Query| {
            q.param("west", west)
                .param("south", south)
                .param("east", east)
                .param("north", north)
        };
        let total = self
            .rows::<Total>(bbox(filtered(total_text, kind, filter)))
            .await?
            .first()
            .map_or(0, |t| t.total);
        let records = self
            .rows::<CellRecord>(
                bbox(filtered(page_text, kind, filter))
                    .param("skip", skip as i64)
                    .param("limit", limit as i64),
            )
            .await?;
        Ok(CellPage { total, records })
    }
}
