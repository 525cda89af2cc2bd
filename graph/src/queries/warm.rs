//! Warming Neo4j's plan cache: the read queries behind the analysts' pages run once for
//! each shape a caller's scope comes in, so the first analyst to open a page after Neo4j
//! starts does not wait for Cypher to be planned (cold, a timeline took 1–3 s; planned,
//! 8 ms). Neo4j keeps a plan per query text, per type of each parameter (`$operations`
//! null or a list) and per size bucket of each list (1, up to 10, up to 100).

use std::time::{Duration, Instant};

use crate::{GraphClient, GraphError, MAX_HOPS, MAX_PATH_HOPS, Scope};

/// Force codes no force has (ids and keys below are not ids of anything either): the
/// queries plan and run as for any caller, and find nothing.
const NOBODY: &str = "TOEX_WARM";

/// The scopes' shapes warmed: (forces, operations) list sizes, 0 operations meaning an
/// unconfined caller. One force, a region's few, every force; confined to a case or two.
const SHAPES: [(usize, usize); 5] = [(1, 0), (10, 0), (100, 0), (1, 1), (10, 1)];

/// The pages' own limits (a neighbourhood's 300 links, a timeline's 200 events), so the
/// warm-up runs what they run.
const PAGE_LIMIT: usize = 300;

/// How often the graph's size is looked at to keep the heaviest plans fresh.
const REFRESH_EVERY: Duration = Duration::from_secs(15);

/// Every how many looks the plans run again even when nothing changed (each time: the
/// pages' queries in every scope shape, on nothing, ~100 statements of 1–3 ms).
const EVERY_NTH_TURN: u64 = 4;

/// What a warm-up did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WarmUp {
    /// Statements planned and run.
    pub planned: usize,
    /// Statements Neo4j refused (each is logged; the same query will fail for its caller).
    pub failed: usize,
    pub took: Duration,
}

/// What each statement of a warm-up came to, by the query it warmed.
type Lane = Vec<(&'static str, Result<(), GraphError>)>;

impl GraphClient {
    /// Plans the interactive read queries (the redactor's protected persons, a node's
    /// neighbourhood at each depth, its timeline, shortest paths, common associates,
    /// persons with their details and mentions, people by name, linkage, documents'
    /// nodes and mentions) for each shape in [`SHAPES`]: once with scopes that hold
    /// nothing, then the expanding ones again on one real node of each kind, its force
    /// padded to the shape (the first run of a plan on real rows is slow too); and the
    /// threat and force profiles for a force that has none, then for each sampled force. Nothing is returned to anyone; the
    /// statements are not counted with this handle's.
    pub async fn warm_up(&self) -> WarmUp {
        let started = Instant::now();
        let graph = self.uncounted();
        let mut done = WarmUp::default();
        let mut note = |lane: Lane| {
            for (what, r) in lane {
                match r {
                    Ok(()) => done.planned += 1,
                    Err(e) => {
                        done.failed += 1;
                        tracing::warn!(query = what, error = %e, "a query failed while warming Neo4j's plans");
                    }
                }
            }
        };
        let samples = match graph.sample_nodes().await {
            Ok(s) => s,
            Err(e) => {
                note(vec![("nodes to warm with", Err(e))]);
                Vec::new()
            }
        };
        for shape in SHAPES {
            let Some(nobody) = shaped(NOBODY, shape) else {
                continue;
            };
            note(graph.warm_nothing(&nobody).await);
            // The kinds side by side, as a page's resolvers run.
            let lanes = samples.iter().filter_map(|sample| {
                let scope = shaped(&sample.force, shape)?;
                let graph = graph.clone();
                Some(async move { graph.warm_on(&scope, &sample.key).await })
            });
            for lane in futures::future::join_all(lanes).await {
                note(lane);
            }
        }
        // The profiles, for the commonest shape only (one force, unconfined): each of
        // their statements takes Neo4j a second or more to plan.
        if let Some(nobody) = shaped(NOBODY, SHAPES[0]) {
            note(graph.warm_profiles(&nobody).await);
        }
        // Then once on each sampled force's own rows: the first real run of a profile
        // took 1.4–2.2 s after the empty one had planned it (the person page ranks its
        // person in three of them), the second 20–30 ms.
        let mut forces: Vec<&str> = samples.iter().map(|s| s.force.as_str()).collect();
        forces.sort_unstable();
        forces.dedup();
        for force in forces {
            if let Some(scope) = shaped(force, SHAPES[0]) {
                note(graph.warm_profiles(&scope).await);
            }
        }
        done.took = started.elapsed();
        done
    }

    /// Keeps the plans of the pages' statements fresh as the graph changes: every
    /// [`REFRESH_EVERY`], when the graph's node or relationship count moved since the
    /// look before last (and every [`EVERY_NTH_TURN`]th look regardless), the profile
    /// statements and the pages' queries in every scope shape run again on nothing. Neo4j replans a statement on its next run once
    /// the statistics it was planned with have drifted (and the plan is older than
    /// `dbms.cypher.min_replan_interval`: 10 s by default, 10 minutes in the embedded
    /// launcher): on the demo data, 150 documents ingested made the next missing-persons
    /// profile take 1.8 s instead of 20 ms. So the replanning happens here, in the
    /// background, not on the next analyst's page; paced (after each scope shape it waits
    /// as long as that shape took), since a replan costs 0.3–1.5 s of a core and a round
    /// of them ~40 s, which analysts' statements would otherwise queue behind. Two
    /// count-store reads a turn when nothing changed; runs until the process ends, and an
    /// outage just waits.
    pub(crate) async fn keep_plans_fresh(self) {
        #[derive(serde::Deserialize, PartialEq, Clone, Copy)]
        struct Size {
            nodes: i64,
            relationships: i64,
        }
        // Held weakly: the loop ends when the client it serves is dropped.
        let client = std::sync::Arc::downgrade(&self.inner);
        drop(self);
        let mut last: Option<Size> = None;
        let mut changed_before = false;
        let mut turn: u64 = 0;
        loop {
            tokio::time::sleep(REFRESH_EVERY).await;
            let Some(inner) = client.upgrade() else {
                return;
            };
            let this = GraphClient { inner };
            if !this.connectivity().is_up() || !this.plans_warmed() {
                continue;
            }
            let graph = this.uncounted();
            drop(this);
            let size = match graph.rows::<Size>(neo4rs::query(GRAPH_SIZE)).await {
                Ok(rows) => rows.first().copied(),
                Err(_) => continue,
            };
            let changed = last.is_some() && size != last;
            last = size;
            turn += 1;
            // Again on the next turn: a plan made less than the replan interval before
            // this turn was not replanned by it. And every minute regardless: Neo4j's
            // divergence threshold falls as a plan ages, so a plan that passed once can
            // be replanned later with nothing new.
            if changed || changed_before || turn.is_multiple_of(EVERY_NTH_TURN) {
                let started = Instant::now();
                let mut lane = Vec::new();
                if let Some(nobody) = shaped(NOBODY, SHAPES[0]) {
                    lane.extend(graph.warm_profiles(&nobody).await);
                }
                for shape in SHAPES {
                    if let Some(nobody) = shaped(NOBODY, shape) {
                        let shape_started = Instant::now();
                        lane.extend(graph.warm_nothing(&nobody).await);
                        // Half a core at most: a request's statement never waits long.
                        tokio::time::sleep(shape_started.elapsed()).await;
                    }
                }
                let failed = lane.iter().filter(|(_, r)| r.is_err()).count();
                tracing::debug!(
                    statements = lane.len(),
                    failed,
                    took_ms = started.elapsed().as_millis() as u64,
                    "the pages' plans run again after the graph changed"
                );
            }
            changed_before = changed;
        }
    }

    /// Every page's query, in `scope`, about nodes that do not exist.
    async fn warm_nothing(&self, scope: &Scope) -> Lane {
        let (key, other, ids) = ("Warm:a", "Warm:b", vec!["-".to_owned()]);
        let mut out: Lane = Vec::new();
        for hops in 1..=MAX_HOPS {
            let r = self.neighbourhood(scope, key, hops, &[], None, 1).await;
            out.push(("neighbourhood", r.map(drop)));
        }
        for hops in [4, MAX_PATH_HOPS] {
            let r = self.shortest_paths(scope, key, other, hops, &[], 1).await;
            out.push(("shortestPaths", r.map(drop)));
        }
        let r = self.common_associates(scope, key, other, &[], 1).await;
        out.push(("commonAssociates", r.map(drop)));
        // The redactor's look-up, which the first request of each caller's forces makes.
        let r = self.protected_persons(scope.forces()).await;
        out.push(("protected persons", r.map(drop)));
        out.push(("timeline", self.timeline(scope, key, 1).await.map(drop)));
        out.push(("person", self.persons_by_ids(scope, &ids).await.map(drop)));
        let r = self.person_details_by_ids(scope, &ids).await;
        out.push(("person details", r.map(drop)));
        let r = self.person_mentions(scope, &ids, 1).await;
        out.push(("person mentions", r.map(drop)));
        let r = self.people_by_name(scope, "warm", 0, 1).await;
        out.push(("people", r.map(drop)));
        out.push(("linkage", self.linkage(scope, key).await.map(drop)));
        let r = self.document_nodes(scope, &ids).await;
        out.push(("document nodes", r.map(drop)));
        let r = self.document_person_mentions(scope, "-").await;
        out.push(("document mentions", r.map(drop)));
        out
    }

    /// The threat and force profiles' statements under the built-in method's hops (the
    /// largest statements toex sends, each planned in 1–2 s on this machine), and the
    /// hot-spot page's counts and place names.
    async fn warm_profiles(&self, scope: &Scope) -> Lane {
        use toex_analytics::profiles::{ProfileConfig, ThreatKind, window};
        let config = ProfileConfig::builtin();
        let as_of = chrono::Utc::now();
        let mut out: Lane = Vec::new();
        for kind in [
            ThreatKind::Vawg,
            ThreatKind::Missing,
            ThreatKind::RegisteredOffender,
        ] {
            let r = self
                .profile_records(&window(kind, as_of, config), scope)
                .await;
            out.push(("threat profile", r.map(drop)));
        }
        let (from, to) = ("2000-01-01T00:00:00Z", "2000-02-01T00:00:00Z");
        let r = self.category_months(scope, from, from, to).await;
        out.push(("force profile categories", r.map(drop)));
        let r = self.repeat_victims(scope, from, to, 1).await;
        out.push(("force profile victims", r.map(drop)));
        // The hot-spot page's counts and place names, for a month, every crime type.
        let filter = crate::HotspotFilter {
            scope: scope.clone(),
            from: Some(from.to_owned()),
            to: Some(to.to_owned()),
            crime_types: None,
        };
        let cell = [("warm".to_owned(), [0.0, 0.0, 0.001, 0.001])];
        for kind in [
            crate::HotspotKind::Incidents,
            crate::HotspotKind::Vawg,
            crate::HotspotKind::Missing,
        ] {
            let r = self.hotspot_places(kind, &filter).await;
            out.push(("hot-spot places", r.map(drop)));
            let r = self.hotspot_cell_places(kind, &filter, &cell).await;
            out.push(("hot-spot cell places", r.map(drop)));
        }
        out
    }

    /// A real node's neighbourhood at each depth, its timeline and linkage, in `scope`.
    async fn warm_on(&self, scope: &Scope, key: &str) -> Lane {
        let mut out: Lane = Vec::new();
        for hops in 1..=MAX_HOPS {
            let r = self
                .neighbourhood(scope, key, hops, &[], None, PAGE_LIMIT)
                .await;
            out.push(("neighbourhood", r.map(drop)));
        }
        let r = self.timeline(scope, key, PAGE_LIMIT).await;
        out.push(("timeline", r.map(drop)));
        out.push(("linkage", self.linkage(scope, key).await.map(drop)));
        out
    }

    /// One node of each kind that has relationships, with its owning force.
    ///
    /// Cypher: one `MATCH (n:Label) WHERE EXISTS { (n)--() } … LIMIT 1` per kind,
    /// joined by `UNION ALL`.
    async fn sample_nodes(&self) -> Result<Vec<SampleNode>, GraphError> {
        self.rows::<SampleNode>(neo4rs::query(SAMPLES)).await
    }
}

/// A scope of `shape`'s size: `force` first, then codes no force has; confined to as
/// many operations no operation has.
fn shaped(force: &str, (forces, operations): (usize, usize)) -> Option<Scope> {
    let mut codes = vec![force.to_owned()];
    codes.extend((1..forces).map(|i| format!("{NOBODY}_{i}")));
    let ops: Vec<String> = (0..operations).map(|i| format!("{NOBODY} {i}")).collect();
    Scope::new(&codes, &ops, false).ok()
}

/// The graph's node and relationship counts (from Neo4j's count store).
const GRAPH_SIZE: &str = "CALL () { MATCH (n) RETURN count(n) AS nodes } \
     CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships } \
     RETURN nodes, relationships";

const SAMPLES: &str = "CALL () { \
      MATCH (n:Person) WHERE n.force IS NOT NULL AND EXISTS { (n)--() } RETURN n LIMIT 1 \
      UNION ALL MATCH (n:Phone) WHERE n.force IS NOT NULL AND EXISTS { (n)--() } RETURN n LIMIT 1 \
      UNION ALL MATCH (n:Location) WHERE n.force IS NOT NULL AND EXISTS { (n)--() } RETURN n LIMIT 1 \
      UNION ALL MATCH (n:Incident) WHERE n.force IS NOT NULL AND EXISTS { (n)--() } RETURN n LIMIT 1 \
      UNION ALL MATCH (n:Vehicle) WHERE n.force IS NOT NULL AND EXISTS { (n)--() } RETURN n LIMIT 1 \
    } RETURN n.key AS key, n.force AS force";

/// A node to warm the plans with.
#[derive(serde::Deserialize)]
struct SampleNode {
    key: String,
    force: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shaped_scope_has_the_sizes_neo4j_plans_by() {
        for shape in SHAPES {
            let scope = shaped("WYP", shape).expect("a valid scope");
            assert_eq!(scope.forces().len(), shape.0);
            assert!(scope.forces().contains(&"WYP".to_owned()));
            assert_eq!(scope.operations().map_or(0, <[String]>::len), shape.1);
        }
    }
}
