//! GraphQL types and resolvers for the intelligence network: name search, neighbourhoods,
//! paths, common associates, timelines, centrality and communities.

use std::collections::HashMap;

use async_graphql::connection::{Connection, Edge, query};
use async_graphql::{Context, InputObject, Object, SimpleObject};
use toex_analytics::algo::{SimpleGraph, centrality, louvain};

use crate::Services;
use crate::error::{ApiError, ApiResult};
use crate::query::page_size;
use crate::types::Person;
use toex_graph::Scope;

/// A node as drawn. `key` is `Label:id`, e.g. `Person:P123` or `Phone:+447700900123`.
#[derive(Debug, Clone, SimpleObject)]
pub struct GraphNode {
    pub key: String,
    pub label: String,
    pub caption: Option<String>,
    /// The owning force, when it is one of the caller's (a shared phone or address
    /// recorded first by another force shows none).
    pub force: Option<String>,
    /// A protected person (victim anonymity, child): the caption is redacted for
    /// callers without the right.
    pub protected: bool,
}

/// A relationship as drawn.
#[derive(Debug, Clone, SimpleObject)]
pub struct GraphEdge {
    pub from: String,
    pub to: String,
    #[graphql(name = "type")]
    pub rel_type: String,
    pub role: Option<String>,
    pub weight: Option<f64>,
    pub count: Option<i64>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// The import or document that recorded it.
    pub source: Option<String>,
}

/// Nodes plus edges.
#[derive(Debug, Clone, SimpleObject)]
pub struct Subgraph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

impl From<toex_graph::Subgraph> for Subgraph {
    fn from(s: toex_graph::Subgraph) -> Self {
        Self {
            nodes: s.nodes.into_iter().map(node).collect(),
            edges: s
                .edges
                .into_iter()
                .map(|e| GraphEdge {
                    from: e.from,
                    to: e.to,
                    rel_type: e.rel_type,
                    role: e.role,
                    weight: e.weight,
                    count: e.count,
                    first_seen: e.first_seen,
                    last_seen: e.last_seen,
                    source: e.source,
                })
                .collect(),
        }
    }
}

fn node(n: toex_graph::GraphNode) -> GraphNode {
    GraphNode {
        key: n.key,
        label: n.label,
        caption: n.caption,
        force: n.force,
        protected: n.protected,
    }
}

/// A node linked to both, and through which relationship types.
#[derive(Debug, Clone, SimpleObject)]
pub struct CommonAssociate {
    pub node: GraphNode,
    pub via_a: Vec<String>,
    pub via_b: Vec<String>,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct TimelineEvent {
    pub at: String,
    pub kind: String,
    pub key: String,
    pub caption: Option<String>,
    pub detail: Option<String>,
}

/// A person found by name.
#[derive(Debug, Clone, SimpleObject)]
pub struct PersonHit {
    pub person: Person,
    pub score: f64,
}

/// What centrality and communities run over. Give exactly one.
#[derive(Debug, Clone, Default, InputObject)]
pub struct Selection {
    /// Members of an operation (an imported edge list is one).
    pub operation: Option<String>,
    /// The k-hop neighbourhood of this node key.
    pub around: Option<String>,
    #[graphql(default = 2)]
    pub hops: i32,
    /// Relationship types to use; empty: all but PART_OF/FOR_FORCE.
    #[graphql(default)]
    pub relationship_types: Vec<String>,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct CentralityNode {
    pub key: String,
    pub name: Option<String>,
    /// Distinct neighbours in the selection.
    pub degree: i32,
    /// Brandes betweenness, undirected, unnormalised.
    pub betweenness: f64,
    /// Betweenness divided by (n-1)(n-2)/2.
    pub betweenness_normalized: f64,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct CentralityResult {
    pub node_count: i32,
    pub edge_count: i32,
    /// Highest betweenness first.
    pub nodes: Vec<CentralityNode>,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Community {
    pub id: i32,
    pub size: i32,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct CommunitiesResult {
    pub modularity: f64,
    /// Largest first.
    pub communities: Vec<Community>,
}

const MAX_LIMIT: usize = 2_000;
/// Longest name `people` searches for, in characters.
const MAX_NAME_CHARS: usize = 200;

fn bounded(limit: i32, what: &str) -> ApiResult<usize> {
    if limit < 1 || limit as usize > MAX_LIMIT {
        return Err(ApiError::bad_input(format!(
            "`{what}` must be from 1 to {MAX_LIMIT}"
        )));
    }
    Ok(limit as usize)
}

fn hops(h: i32, max: u8, what: &str) -> ApiResult<u8> {
    u8::try_from(h)
        .ok()
        .filter(|h| (1..=max).contains(h))
        .ok_or_else(|| ApiError::bad_input(format!("`{what}` must be from 1 to {max}")))
}

/// Loads a selection as a simple graph plus captions.
async fn load_selection(
    services: &Services,
    scope: &Scope,
    selection: &Selection,
) -> ApiResult<(SimpleGraph, HashMap<String, String>)> {
    let mut captions = HashMap::new();
    let graph = match (&selection.operation, &selection.around) {
        (Some(op), None) => {
            let links = services
                .graph
                .operation_links(scope, op, &selection.relationship_types)
                .await?;
            if links.is_empty() {
                return Err(ApiError::new(
                    crate::ErrorCode::NotFound,
                    format!("operation `{op}` has no members"),
                ));
            }
            let mut g = SimpleGraph::from_links(links.iter().filter_map(|l| {
                l.to.as_deref()
                    .map(|to| (l.from.as_str(), to, l.weight.unwrap_or(1.0)))
            }));
            for l in &links {
                g.add_isolated(&l.from);
                if let Some(c) = &l.caption {
                    captions.insert(l.from.clone(), c.clone());
                }
            }
            g
        }
        (None, Some(key)) => {
            let h = hops(selection.hops, toex_graph::MAX_HOPS, "hops")?;
            let sub = services
                .graph
                .neighbourhood(
                    scope,
                    key,
                    h,
                    &selection.relationship_types,
                    None,
                    MAX_LIMIT,
                )
                .await?
                .ok_or_else(|| {
                    ApiError::new(crate::ErrorCode::NotFound, format!("no node `{key}`"))
                })?;
            let mut g = SimpleGraph::from_links(
                sub.edges
                    .iter()
                    .map(|e| (e.from.as_str(), e.to.as_str(), e.weight.unwrap_or(1.0))),
            );
            for n in sub.nodes {
                g.add_isolated(&n.key);
                if let Some(c) = n.caption {
                    captions.insert(n.key, c);
                }
            }
            g
        }
        _ => {
            return Err(ApiError::bad_input(
                "give exactly one of `operation` or `around` in `selection`",
            ));
        }
    };
    Ok((graph, captions))
}

#[derive(Default)]
pub struct NetworkQuery;

#[Object]
impl NetworkQuery {
    /// Persons by name, tolerant of spelling and Arabic↔Latin transliteration
    /// (Mohammed, Muhammad, Mohamed and محمد find each other). Best match first.
    async fn people(
        &self,
        ctx: &Context<'_>,
        name: String,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, PersonHit>> {
        if name.len() > MAX_NAME_CHARS && name.chars().nth(MAX_NAME_CHARS).is_some() {
            return Err(ApiError::bad_input(format!(
                "`name` is longer than {MAX_NAME_CHARS} characters"
            ))
            .into());
        }
        let services = ctx.data_unchecked::<Services>().clone();
        let first = page_size(first)?;
        let scope = crate::access::scope(ctx)?;
        query(
            after,
            None,
            Some(first as i32),
            None,
            |after: Option<usize>, _: Option<usize>, first, _| async move {
                let skip = after.map_or(0, |a| a + 1);
                let limit = first.unwrap_or(crate::query::DEFAULT_PAGE_SIZE);
                let mut found = services
                    .graph
                    .people_by_name(&scope, &name, skip, limit + 1)
                    .await
                    .map_err(ApiError::from)?;
                let has_next = found.len() > limit;
                found.truncate(limit);
                let mut c = Connection::new(skip > 0, has_next);
                c.edges.extend(found.into_iter().enumerate().map(|(i, m)| {
                    Edge::new(
                        skip + i,
                        PersonHit {
                            person: Person {
                                id: m.id,
                                name: m.name,
                                aliases: m.aliases,
                                force: m.force,
                                protected: m.protected,
                            },
                            score: m.score,
                        },
                    )
                }));
                Ok::<_, async_graphql::Error>(c)
            },
        )
        .await
    }

    /// Nodes and edges within `hops` (1–3) of `key`, optionally only some relationship
    /// types and only links seen since a date-time. Null when the node does not exist.
    async fn neighbourhood(
        &self,
        ctx: &Context<'_>,
        key: String,
        #[graphql(default = 1)] hops: i32,
        #[graphql(default)] relationship_types: Vec<String>,
        since: Option<String>,
        #[graphql(default = 500)] limit: i32,
    ) -> ApiResult<Option<Subgraph>> {
        let services = ctx.data_unchecked::<Services>();
        let since = since
            .map(|s| toex_graph::import::parse_time(&s).map_err(ApiError::bad_input))
            .transpose()?;
        let h = hops_arg(hops)?;
        let scope = crate::access::scope(ctx)?;
        if crate::redaction::is_hidden_node(ctx, &key).await? {
            return Ok(None);
        }
        let sub = services
            .graph
            .neighbourhood(
                &scope,
                &key,
                h,
                &relationship_types,
                since,
                bounded(limit, "limit")?,
            )
            .await?;
        Ok(sub.map(Subgraph::from))
    }

    /// All shortest paths between two nodes, at most `maxHops` (1–6) long.
    async fn shortest_paths(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
        #[graphql(default = 4)] max_hops: i32,
        #[graphql(default)] relationship_types: Vec<String>,
        #[graphql(default = 10)] limit: i32,
    ) -> ApiResult<Vec<Subgraph>> {
        let services = ctx.data_unchecked::<Services>();
        let h = hops(max_hops, toex_graph::MAX_PATH_HOPS, "maxHops")?;
        let paths = services
            .graph
            .shortest_paths(
                &crate::access::scope(ctx)?,
                &from,
                &to,
                h,
                &relationship_types,
                bounded(limit, "limit")?,
            )
            .await?;
        Ok(paths.into_iter().map(Subgraph::from).collect())
    }

    /// Nodes linked directly to both `a` and `b` (shared phones, addresses, associates…).
    async fn common_associates(
        &self,
        ctx: &Context<'_>,
        a: String,
        b: String,
        #[graphql(default)] relationship_types: Vec<String>,
        #[graphql(default = 100)] limit: i32,
    ) -> ApiResult<Vec<CommonAssociate>> {
        let services = ctx.data_unchecked::<Services>();
        let found = services
            .graph
            .common_associates(
                &crate::access::scope(ctx)?,
                &a,
                &b,
                &relationship_types,
                bounded(limit, "limit")?,
            )
            .await?;
        Ok(found
            .into_iter()
            .map(|c| CommonAssociate {
                node: node(c.node),
                via_a: c.via_a,
                via_b: c.via_b,
            })
            .collect())
    }

    /// Dated events around a node, oldest first.
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        key: String,
        #[graphql(default = 500)] limit: i32,
    ) -> ApiResult<Vec<TimelineEvent>> {
        let services = ctx.data_unchecked::<Services>();
        if crate::redaction::is_hidden_node(ctx, &key).await? {
            return Ok(Vec::new());
        }
        let events = services
            .graph
            .timeline(&crate::access::scope(ctx)?, &key, bounded(limit, "limit")?)
            .await?;
        Ok(events
            .into_iter()
            .map(|e| TimelineEvent {
                at: e.at,
                kind: e.kind,
                key: e.key,
                caption: e.caption,
                detail: e.detail,
            })
            .collect())
    }

    /// Degree and Brandes betweenness per node over a selection, treated as a simple
    /// undirected graph (distinct neighbours; links both ways between a pair are one edge).
    async fn centrality(
        &self,
        ctx: &Context<'_>,
        selection: Selection,
    ) -> ApiResult<CentralityResult> {
        let services = ctx.data_unchecked::<Services>();
        let scope = crate::access::scope(ctx)?;
        let (graph, captions) = load_selection(services, &scope, &selection).await?;
        let (node_count, edge_count) = (graph.len() as i32, graph.edge_count() as i32);
        let mut scores = services.cpu.run(move || centrality(&graph)).await?;
        scores.sort_by(|a, b| {
            b.betweenness
                .total_cmp(&a.betweenness)
                .then_with(|| a.key.cmp(&b.key))
        });
        Ok(CentralityResult {
            node_count,
            edge_count,
            nodes: scores
                .into_iter()
                .map(|c| CentralityNode {
                    name: captions.get(&c.key).cloned(),
                    key: c.key,
                    degree: c.degree as i32,
                    betweenness: c.betweenness,
                    betweenness_normalized: c.betweenness_normalized,
                })
                .collect(),
        })
    }

    /// Louvain communities over a selection (weights from `weight` or call `count`).
    async fn communities(
        &self,
        ctx: &Context<'_>,
        selection: Selection,
    ) -> ApiResult<CommunitiesResult> {
        let services = ctx.data_unchecked::<Services>();
        let scope = crate::access::scope(ctx)?;
        let (graph, _) = load_selection(services, &scope, &selection).await?;
        let (found, graph) = services.cpu.run(move || (louvain(&graph), graph)).await?;
        let mut groups: Vec<Vec<String>> = vec![Vec::new(); found.count];
        for (i, c) in found.membership.iter().enumerate() {
            groups[*c].push(graph.key(i).to_owned());
        }
        groups.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        Ok(CommunitiesResult {
            modularity: found.modularity,
            communities: groups
                .into_iter()
                .enumerate()
                .map(|(i, mut members)| {
                    members.sort();
                    Community {
                        id: i as i32,
                        size: members.len() as i32,
                        members,
                    }
                })
                .collect(),
        })
    }
}

fn hops_arg(h: i32) -> ApiResult<u8> {
    hops(h, toex_graph::MAX_HOPS, "hops")
}
