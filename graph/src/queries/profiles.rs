//! The threat-profile and force-profile queries: each returns one bounded selection (a
//! force's suspects, missing people or registered offenders in a window), aggregated in
//! Cypher, never the whole graph.

use serde::Deserialize;

use super::scoped;
use crate::vocab::{VAWG_CRIME_TYPES, VAWG_OFFENCE_CODES};
use crate::{GraphClient, GraphError, Scope};
use toex_analytics::profiles::{
    MAX_LINK_HOPS, MissingPerson, ProfileRecords, ProfileWindow, RegisteredOffender, Suspect,
    ThreatKind,
};

/// Relationship types a profile link may follow (person → identifier → … → person).
macro_rules! link_types {
    () => {
        "USES|LIVES_AT|CALLED|WENT_MISSING|FOUND_AT|MISSING_FROM"
    };
}

/// Of [`link_types`], those that end at a person: a link's first and last hop.
macro_rules! person_link_types {
    () => {
        "USES|LIVES_AT|WENT_MISSING"
    };
}

/// A node a link may pass through: not a person, in the caller's operations, and no hub
/// (at most `$hubLinks` links of the kinds a profile follows; mentions in documents do
/// not count). A call centre's phone says nothing about two people who both rang it,
/// and walking it made the search run for minutes at 1M nodes.
macro_rules! waypoint {
    ($n:literal) => {
        concat!(
            "NOT ",
            $n,
            ":Person AND COUNT { (",
            $n,
            ")-[:",
            link_types!(),
            "|INVOLVED_IN]-() } <= $hubLinks AND ",
            in_operations!($n)
        )
    };
}

/// The steps a link of `hops` takes between its first and last hop, at most.
macro_rules! inner_steps {
    ("3") => {
        "1"
    };
    ("4") => {
        "2"
    };
    ("5") => {
        "3"
    };
    ("6") => {
        "4"
    };
}

/// `path` from person `$from` to a person `$to` within `$hops` (a literal, 2 to 6)
/// relationships of `$first_last` at the ends and `$inner` between, through waypoints
/// only, every relationship of the caller's forces. Written as a quantified path pattern
/// so that Neo4j expands step by step with the waypoint test applied at each step: the
/// variable-length form enumerated every path first (a hub's thousands of neighbours
/// included) and filtered afterwards.
macro_rules! link_path {
    ($from:literal, $to:literal, $first_last:expr, $inner:expr, "2") => {
        concat!(
            "MATCH path = (",
            $from,
            ")-[r0_:",
            $first_last,
            "]-(w0_)-[rn_:",
            $first_last,
            "]-(",
            $to,
            ":Person) WHERE r0_.force IN $forces AND rn_.force IN $forces AND ",
            waypoint!("w0_")
        )
    };
    ($from:literal, $to:literal, $first_last:expr, $inner:expr, $hops:tt) => {
        concat!(
            "MATCH path = (",
            $from,
            ")-[r0_:",
            $first_last,
            "]-(w0_)",
            " ((:!Person)-[ri_:",
            $inner,
            "]-(wi_) WHERE ri_.force IN $forces AND ",
            waypoint!("wi_"),
            "){0,",
            inner_steps!($hops),
            "} (:!Person)-[rn_:",
            $first_last,
            "]-(",
            $to,
            ":Person)",
            " WHERE r0_.force IN $forces AND rn_.force IN $forces AND ",
            waypoint!("w0_")
        )
    };
}

const VAWG_SUSPECTS: &str = concat!(
    "MATCH (p:Person)-[:INVOLVED_IN {role: 'suspect'}]->(i:Incident)",
    " WHERE ",
    in_scope!("i"),
    " AND ",
    in_scope!("p"),
    " AND i.occurredAt >= datetime($start) AND i.occurredAt < datetime($asOf)",
    " AND (i.offenceCode IN $vawgCodes OR toLower(i.crimeType) IN $vawgTypes)",
    " OPTIONAL MATCH (v:Person)-[:INVOLVED_IN {role: 'victim'}]->(i) WHERE ",
    in_scope!("v"),
    " WITH p, i, collect(DISTINCT v.id) AS victims",
    " WITH p, collect({id: i.id, crime_type: i.crimeType, offence_code: i.offenceCode,",
    " occurred_at: toString(i.occurredAt), harm: i.harm, victims: victims}) AS incidents",
    " RETURN p.id AS id, p.name AS name, p.force AS force, incidents"
);

macro_rules! missing_people {
    ($hops:tt) => {
        concat!(
            "MATCH (c:Person)-[:WENT_MISSING]->(m:MissingEpisode)",
            " WHERE ",
            in_scope!("m"),
            " AND ",
            in_scope!("c"),
            " AND m.reportedAt >= datetime($start) AND m.reportedAt < datetime($asOf)",
            " OPTIONAL MATCH (m)-[:FOUND_AT]->(f:Location)",
            " OPTIONAL MATCH (m)-[:MISSING_FROM]->(fr:Location)",
            " WITH c, collect({id: m.id, reported_at: toString(m.reportedAt), returned_at: toString(m.returnedAt),",
            " risk_grade: m.riskGrade, found_at: coalesce(f.postcode, f.caption, f.id),",
            " missing_from: coalesce(fr.postcode, fr.caption, fr.id)}) AS episodes",
            " CALL (c) {",
            link_path!("c", "a", person_link_types!(), link_types!(), $hops),
            "   AND a <> c AND ",
            in_scope!("a"),
            "   AND (a.dob IS NULL OR a.dob <= date($adultBornBy))",
            "   AND (coalesce(a.rso, false) OR EXISTS { (a)-[:INVOLVED_IN {role: 'suspect'}]->(si:Incident) WHERE ",
            in_scope!("si"),
            " })",
            // Shortest first; among equals, the same path every time.
            "   WITH a, path ORDER BY length(path), [n IN nodes(path) | n.key]",
            "   WITH a, head(collect(path)) AS path LIMIT 25",
            "   RETURN collect({key: 'Person:' + a.id, name: a.name, rso: coalesce(a.rso, false),",
            "   suspect: EXISTS { (a)-[:INVOLVED_IN {role: 'suspect'}]->(si:Incident) WHERE ",
            in_scope!("si"),
            " },",
            "   hops: length(path), via: [n IN nodes(path)[1..-1] | n.key]}) AS links",
            " }",
            " CALL (c) {",
            "   MATCH (c)-[:WENT_MISSING]->(:MissingEpisode)-[:FOUND_AT|MISSING_FROM]->(l:Location)",
            "   <-[:FOUND_AT|MISSING_FROM]-(m2:MissingEpisode)<-[:WENT_MISSING]-(o:Person)",
            "   WHERE o <> c AND m2.reportedAt >= datetime($start) AND m2.reportedAt < datetime($asOf)",
            "   AND ",
            in_scope!("m2"),
            " AND ",
            in_scope!("o"),
            " AND ",
            in_operations!("l"),
            "   WITH l, collect(DISTINCT o.id) AS others",
            "   RETURN collect({place: coalesce(l.postcode, l.caption, l.id), others: others}) AS shared_places",
            " }",
            " RETURN c.id AS id, c.name AS name, c.force AS force, toString(c.dob) AS dob,",
            " episodes, links, shared_places"
        )
    };
}

const MISSING_PEOPLE: [&str; 5] = [
    missing_people!("2"),
    missing_people!("3"),
    missing_people!("4"),
    missing_people!("5"),
    missing_people!("6"),
];

macro_rules! registered_offenders {
    ($hops:tt) => {
        concat!(
            "MATCH (r:Person) WHERE r.rso = true AND ",
            in_scope!("r"),
            " CALL (r) {",
            link_path!(
                "r",
                "t",
                concat!(person_link_types!(), "|INVOLVED_IN"),
                concat!(link_types!(), "|INVOLVED_IN"),
                $hops
            ),
            "   AND t <> r AND ",
            in_scope!("t"),
            "   WITH r, t, path,",
            "   EXISTS { (t)-[:WENT_MISSING]->(m:MissingEpisode) WHERE ",
            in_scope!("m"),
            " AND m.reportedAt >= datetime($start)",
            "   AND m.reportedAt < datetime($asOf) } AND t.dob > date($adultBornBy) AS missingChild,",
            "   EXISTS { (t)-[:INVOLVED_IN {role: 'victim'}]->(vi:Incident) WHERE ",
            in_scope!("vi"),
            " } AS victim",
            "   WHERE missingChild OR victim",
            "   WITH t, missingChild, path ORDER BY length(path), [n IN nodes(path) | n.key]",
            "   WITH t, missingChild, head(collect(path)) AS path LIMIT 50",
            "   RETURN collect({key: 'Person:' + t.id, name: t.name,",
            "   reason: CASE WHEN missingChild THEN 'missing child' ELSE 'victim' END,",
            "   hops: length(path), via: [n IN nodes(path)[1..-1] | n.key]}) AS reached",
            " }",
            " CALL (r) {",
            "   MATCH (r)-[:LIVES_AT]->(home:Location) WHERE home.point IS NOT NULL",
            "   MATCH (child:Person)-[:WENT_MISSING]->(m:MissingEpisode)-[rel:FOUND_AT|MISSING_FROM]->(l:Location)",
            "   WHERE ",
            in_scope!("m"),
            " AND ",
            in_scope!("child"),
            " AND ",
            in_operations!("l"),
            "   AND m.reportedAt >= datetime($start) AND m.reportedAt < datetime($asOf)",
            "   AND point.distance(home.point, l.point) <= $metres",
            "   WITH l, min(point.distance(home.point, l.point)) AS metres,",
            "   collect(DISTINCT CASE type(rel) WHEN 'FOUND_AT' THEN 'found at: ' ELSE 'missing from: ' END",
            "   + 'Person:' + child.id) AS reasons",
            "   RETURN collect({place: coalesce(l.postcode, l.caption, l.id), metres: metres, reasons: reasons}) AS nearby",
            " }",
            " RETURN r.id AS id, r.name AS name, r.force AS force, r.mappaLevel AS mappa_level,",
            " r.visorCategory AS visor_category, reached, nearby"
        )
    };
}

const REGISTERED_OFFENDERS: [&str; 5] = [
    registered_offenders!("2"),
    registered_offenders!("3"),
    registered_offenders!("4"),
    registered_offenders!("5"),
    registered_offenders!("6"),
];

const CATEGORY_MONTHS: &str = concat!(
    "MATCH (i:Incident) WHERE ",
    in_scope!("i"),
    " AND i.occurredAt >= datetime($previousFrom) AND i.occurredAt < datetime($to)",
    " WITH i, i.occurredAt >= datetime($from) AS current,",
    " (i.offenceCode IN $vawgCodes OR toLower(i.crimeType) IN $vawgTypes) AS vawg",
    " RETURN current, i.crimeType AS category, vawg,",
    " toString(date.truncate('month', i.occurredAt)) AS month, count(*) AS count,",
    " toFloat(sum(coalesce(i.harm, 0.0))) AS harm",
    " UNION ALL",
    " MATCH (m:MissingEpisode) WHERE ",
    in_scope!("m"),
    " AND m.reportedAt >= datetime($previousFrom) AND m.reportedAt < datetime($to)",
    " RETURN m.reportedAt >= datetime($from) AS current, 'Missing episode' AS category, false AS vawg,",
    " toString(date.truncate('month', m.reportedAt)) AS month, count(*) AS count, 0.0 AS harm"
);

const REPEAT_VICTIMS: &str = concat!(
    "MATCH (v:Person)-[:INVOLVED_IN {role: 'victim'}]->(i:Incident)",
    " WHERE ",
    in_scope!("i"),
    " AND ",
    in_scope!("v"),
    " AND i.occurredAt >= datetime($from) AND i.occurredAt < datetime($to)",
    " WITH v, count(DISTINCT i) AS incidents, collect(DISTINCT i.id)[..20] AS ids WHERE incidents >= 2",
    " RETURN v.id AS id, v.name AS name, incidents, ids",
    " ORDER BY incidents DESC, id LIMIT $limit"
);

/// Incidents (or missing episodes) in one category and month.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CategoryMonth {
    /// In the requested period (else the one before it).
    pub current: bool,
    pub category: String,
    pub vawg: bool,
    /// First day of the month, `YYYY-MM-01`.
    pub month: String,
    pub count: u64,
    pub harm: f64,
}

/// A person who was a victim in at least two incidents in the period.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RepeatVictim {
    pub id: String,
    pub name: Option<String>,
    pub incidents: u64,
    pub ids: Vec<String>,
}

/// The window and compartment a profile query covers.
#[derive(Debug, Clone)]
pub struct ProfileScope {
    pub scope: Scope,
    /// RFC 3339; records before it only.
    pub as_of: String,
    /// RFC 3339; records from it on.
    pub start: String,
    /// Dates of birth on or before this (`YYYY-MM-DD`) are adults'.
    pub adult_born_by: String,
}

fn hops_index(hops: u32) -> Result<usize, GraphError> {
    if (2..=MAX_LINK_HOPS).contains(&hops) {
        Ok(hops as usize - 2)
    } else {
        Err(GraphError::InvalidInput(format!(
            "link hops must be 2 to {MAX_LINK_HOPS}, not {hops}"
        )))
    }
}

fn windowed(text: &'static str, scope: &ProfileScope) -> neo4rs::Query {
    scoped(text, &scope.scope)
        .param("asOf", scope.as_of.clone())
        .param("start", scope.start.clone())
        .param("adultBornBy", scope.adult_born_by.clone())
        .param("vawgCodes", VAWG_OFFENCE_CODES.to_vec())
        .param(
            "vawgTypes",
            VAWG_CRIME_TYPES
                .iter()
                .map(|s| s.to_lowercase())
                .collect::<Vec<_>>(),
        )
}

impl GraphClient {
    /// Suspects of VAWG incidents in `[start, as_of)` with those incidents and victims.
    ///
    /// Cypher: one `MATCH (:Person)-[:INVOLVED_IN {role:'suspect'}]->(:Incident)` over
    /// the force's VAWG incidents in the window, grouped per suspect.
    pub async fn vawg_suspects(&self, scope: &ProfileScope) -> Result<Vec<Suspect>, GraphError> {
        self.rows(windowed(VAWG_SUSPECTS, scope)).await
    }

    /// People with missing episodes in the window, their episodes, the adult suspects
    /// or registered offenders within `hops`, and places shared with others missing.
    ///
    /// Cypher: one statement; per person two `CALL` subqueries (a link search bounded by
    /// `hops` and by walking no node of more than `hub_links` relationships, and shared
    /// found-at / missing-from places).
    pub async fn missing_people(
        &self,
        scope: &ProfileScope,
        hops: u32,
        hub_links: u32,
    ) -> Result<Vec<MissingPerson>, GraphError> {
        let text = MISSING_PEOPLE[hops_index(hops)?];
        self.rows(windowed(text, scope).param("hubLinks", i64::from(hub_links)))
            .await
    }

    /// Registered offenders of the forces with the missing children and victims their
    /// links reach within `hops`, and the places of concern within `metres` of home.
    ///
    /// Cypher: one statement; per offender a link search bounded like
    /// [`Self::missing_people`]'s and a `point.distance` filter against the window's
    /// found-at / missing-from places.
    pub async fn registered_offenders(
        &self,
        scope: &ProfileScope,
        hops: u32,
        hub_links: u32,
        metres: f64,
    ) -> Result<Vec<RegisteredOffender>, GraphError> {
        let text = REGISTERED_OFFENDERS[hops_index(hops)?];
        let query = windowed(text, scope)
            .param("hubLinks", i64::from(hub_links))
            .param("metres", metres);
        self.rows(query).await
    }

    /// Counts per category and month for `[from, to)` and the equally long period before.
    ///
    /// Cypher: one `UNION ALL` of two aggregations (incidents, missing episodes).
    pub async fn category_months(
        &self,
        scope: &Scope,
        previous_from: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<CategoryMonth>, GraphError> {
        let scope = ProfileScope {
            scope: scope.clone(),
            as_of: to.to_owned(),
            start: previous_from.to_owned(),
            adult_born_by: String::new(),
        };
        self.rows(
            windowed(CATEGORY_MONTHS, &scope)
                .param("previousFrom", previous_from)
                .param("from", from)
                .param("to", to),
        )
        .await
    }

    /// Victims of two or more incidents in `[from, to)`, most first.
    ///
    /// Cypher: one aggregation over `(:Person)-[:INVOLVED_IN {role:'victim'}]->(:Incident)`.
    pub async fn repeat_victims(
        &self,
        scope: &Scope,
        from: &str,
        to: &str,
        limit: i64,
    ) -> Result<Vec<RepeatVictim>, GraphError> {
        self.rows(
            scoped(REPEAT_VICTIMS, scope)
                .param("from", from)
                .param("to", to)
                .param("limit", limit),
        )
        .await
    }
}

impl GraphClient {
    /// The records of `window`'s profile within `scope`: one query (above); the scoring is
    /// [`toex_analytics::profiles::score`], which callers run on the CPU pool.
    pub async fn profile_records(
        &self,
        window: &ProfileWindow,
        scope: &Scope,
    ) -> Result<ProfileRecords, GraphError> {
        let rfc =
            |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let scope = ProfileScope {
            scope: scope.clone(),
            as_of: rfc(window.as_of),
            start: rfc(window.start),
            adult_born_by: window.adult_born_by.to_string(),
        };
        Ok(match window.kind {
            ThreatKind::Vawg => ProfileRecords::Vawg(self.vawg_suspects(&scope).await?),
            ThreatKind::Missing => {
                let missing = self.missing_people(&scope, window.link_hops, window.hub_links);
                ProfileRecords::Missing(missing.await?)
            }
            ThreatKind::RegisteredOffender => ProfileRecords::RegisteredOffender(
                self.registered_offenders(
                    &scope,
                    window.link_hops,
                    window.hub_links,
                    window.near_metres,
                )
                .await?,
            ),
        })
    }
}
