//! Link charts kept with a case: `saveChart` keeps what is on the analyst's chart (node
//! keys, hidden and pinned ones, filter and time slider) for the case team, `charts` and
//! `chart` list and open them, each chart's `graph` read again under the reader's scope
//! (so a reader never sees through a chart what they could not see themselves).

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};
use toex_graph::{ChartRow, MAX_CHART_NODES};
use toex_pipeline::Services;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::network::Subgraph;

/// A link chart kept with a case. Its nodes (and root, hidden and pinned ones) are those
/// the reader may see now: a chart made by someone who sees more shows no more.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct SavedChart {
    pub id: String,
    pub name: String,
    /// The team that may open it: this force, within this operation when set.
    pub force: String,
    pub operation: Option<String>,
    pub owner: String,
    pub updated_by: String,
    pub relationship_types: Vec<String>,
    /// The time slider's day (`YYYY-MM-DD`).
    pub up_to: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[graphql(skip)]
    stored: ChartRow,
    #[graphql(skip)]
    visible: tokio::sync::OnceCell<Subgraph>,
}

impl SavedChart {
    /// The chart's nodes the caller may see, with the relationships among them (read
    /// once per chart and request).
    async fn visible(&self, ctx: &Context<'_>) -> ApiResult<&Subgraph> {
        self.visible
            .get_or_try_init(|| {
                Box::pin(async {
                    let scope = crate::access::scope(ctx)?;
                    let services = ctx.data_unchecked::<Services>();
                    let sub = services
                        .graph
                        .subgraph_among(
                            &scope,
                            &self.stored.keys,
                            &self.stored.links,
                            &self.stored.types,
                        )
                        .await?;
                    Ok::<_, ApiError>(Subgraph::from(sub))
                })
            })
            .await
    }

    /// Those of `keys` on the chart the caller sees.
    async fn seen(&self, ctx: &Context<'_>, keys: &[String]) -> ApiResult<Vec<String>> {
        let graph = self.visible(ctx).await?;
        Ok(keys
            .iter()
            .filter(|k| graph.nodes.iter().any(|n| &n.key == *k))
            .cloned()
            .collect())
    }
}

#[ComplexObject]
impl SavedChart {
    /// The chart's nodes that the caller may see now, with the relationships among them.
    async fn graph(&self, ctx: &Context<'_>) -> ApiResult<Subgraph> {
        Ok(self.visible(ctx).await?.clone())
    }

    /// The node the chart was started from, when the caller sees it.
    async fn root(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let root: Vec<String> = self.stored.root.iter().cloned().collect();
        Ok(self.seen(ctx, &root).await?.pop())
    }

    /// Nodes hidden on the chart (among those the caller sees).
    async fn hidden(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        self.seen(ctx, &self.stored.hidden).await
    }

    /// Nodes pinned on the chart (among those the caller sees).
    async fn pinned(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        self.seen(ctx, &self.stored.pinned).await
    }
}

impl From<ChartRow> for SavedChart {
    fn from(r: ChartRow) -> Self {
        Self {
            id: r.id.clone(),
            name: r.name.clone(),
            force: r.force.clone(),
            operation: r.operation.clone(),
            owner: r.owner.clone(),
            updated_by: r.updated_by.clone(),
            relationship_types: r.types.clone(),
            up_to: r.up_to.clone(),
            created_at: r.created_at.clone(),
            updated_at: r.updated_at.clone(),
            stored: r,
            visible: tokio::sync::OnceCell::new(),
        }
    }
}

/// A link on a chart, as the network gives it.
#[derive(InputObject)]
pub struct ChartLink {
    pub from: String,
    pub to: String,
    #[graphql(name = "type")]
    pub rel_type: String,
}

/// Keys as the caller was shown them: a protected person's node, shown under a
/// pseudonym, is kept as the node itself.
async fn kept_keys(ctx: &Context<'_>, keys: Vec<String>, what: &str) -> ApiResult<Vec<String>> {
    if keys.len() > MAX_CHART_NODES {
        return Err(ApiError::bad_input(format!(
            "a chart holds at most {MAX_CHART_NODES} nodes"
        )));
    }
    checked_keys(crate::redaction::unredacted_keys(ctx, keys).await?, what)
}

/// Links as `from|TYPE|to`, each end as the node itself, each type one the graph has.
async fn kept_links(ctx: &Context<'_>, links: Vec<ChartLink>) -> ApiResult<Vec<String>> {
    if links.len() > 4 * MAX_CHART_NODES {
        return Err(ApiError::bad_input(format!(
            "a chart holds at most {} links",
            4 * MAX_CHART_NODES
        )));
    }
    let mut out = Vec::with_capacity(links.len());
    for link in links {
        let rel = toex_graph::vocab::relationship_types(std::slice::from_ref(&link.rel_type))
            .map_err(ApiError::bad_input)?;
        let from = kept_keys(ctx, vec![link.from], "links").await?;
        let to = kept_keys(ctx, vec![link.to], "links").await?;
        for f in &from {
            for t in &to {
                out.push(format!("{f}|{}|{t}", rel[0]));
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Node keys as given: each `Label:id` of a sensible length, no more than a chart holds.
fn checked_keys(keys: Vec<String>, what: &str) -> ApiResult<Vec<String>> {
    if keys.len() > MAX_CHART_NODES {
        return Err(ApiError::bad_input(format!(
            "a chart holds at most {MAX_CHART_NODES} nodes"
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(keys.len());
    for key in keys {
        let key = key.trim().to_owned();
        if key.len() > 600
            || !key
                .split_once(':')
                .is_some_and(|(l, i)| !l.is_empty() && !i.is_empty())
        {
            return Err(ApiError::bad_input(format!(
                "`{}` in `{what}` is not a node key (`Label:id`)",
                key.chars().take(80).collect::<String>()
            )));
        }
        out.push(key);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[derive(Default)]
pub struct ChartsQuery;

#[Object]
impl ChartsQuery {
    /// Link charts the caller's team keeps (of one case when `operation` is given), most
    /// recently changed first.
    async fn charts(
        &self,
        ctx: &Context<'_>,
        operation: Option<String>,
        first: Option<i32>,
    ) -> ApiResult<Vec<SavedChart>> {
        let limit = crate::query::page_size(first)?;
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let rows = services
            .graph
            .charts(&scope, operation.as_deref(), limit as i64)
            .await?;
        Ok(rows.into_iter().map(SavedChart::from).collect())
    }

    /// One kept chart; null when there is none the caller's team keeps.
    async fn chart(&self, ctx: &Context<'_>, id: String) -> ApiResult<Option<SavedChart>> {
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        Ok(services
            .graph
            .chart(&scope, &id)
            .await?
            .map(SavedChart::from))
    }
}

#[derive(Default)]
pub struct ChartsMutation;

#[Object]
impl ChartsMutation {
    /// Keeps the chart for the case team (`force`, and `operation` when the case is one;
    /// `force` may be left out by a caller of one force), or — with `id` — replaces a
    /// chart the team keeps, so a chart is added to over time.
    #[allow(clippy::too_many_arguments)]
    async fn save_chart(
        &self,
        ctx: &Context<'_>,
        id: Option<String>,
        name: String,
        force: Option<String>,
        operation: Option<String>,
        root: Option<String>,
        keys: Vec<String>,
        #[graphql(default)] links: Vec<ChartLink>,
        #[graphql(default)] hidden: Vec<String>,
        #[graphql(default)] pinned: Vec<String>,
        #[graphql(default)] relationship_types: Vec<String>,
        up_to: Option<String>,
    ) -> ApiResult<SavedChart> {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ApiError::bad_input("`name` must be 1–200 characters"));
        }
        let keys = kept_keys(ctx, keys, "keys").await?;
        let on_chart = |list: Vec<String>| -> Vec<String> {
            list.into_iter()
                .filter(|k| keys.binary_search(k).is_ok())
                .collect()
        };
        let hidden = on_chart(kept_keys(ctx, hidden, "hidden").await?);
        let pinned = on_chart(kept_keys(ctx, pinned, "pinned").await?);
        let root = match root {
            Some(r) => kept_keys(ctx, vec![r], "root").await?.pop(),
            None => None,
        };
        let links = kept_links(ctx, links).await?;
        let relationship_types = if relationship_types.is_empty() {
            relationship_types
        } else {
            toex_graph::vocab::relationship_types(&relationship_types)
                .map_err(ApiError::bad_input)?
        };
        if let Some(day) = &up_to {
            chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map_err(|_| ApiError::bad_input("`upTo` is a day, `YYYY-MM-DD`"))?;
        }
        let principal = crate::access::caller(ctx)?;
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let before = match &id {
            Some(id) => Some(services.graph.chart(&scope, id).await?.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    format!("no chart `{id}` your team keeps"),
                )
            })?),
            None => None,
        };
        let force = match (force, &before, scope.forces()) {
            (Some(f), _, _) => f,
            (None, Some(b), _) => b.force.clone(),
            (None, None, [only]) => only.clone(),
            (None, None, _) => {
                return Err(ApiError::bad_input(
                    "you hold several forces: say which `force`'s team keeps the chart",
                ));
            }
        };
        let operation = operation.or_else(|| before.as_ref().and_then(|b| b.operation.clone()));
        let (force, operation) = crate::access::write_target(ctx, &force, operation.as_deref())?;
        let row = ChartRow {
            id: id.unwrap_or_else(|| format!("chart-{}", uuid::Uuid::new_v4().simple())),
            name,
            force,
            operation,
            owner: before
                .as_ref()
                .map_or_else(|| principal.user.clone(), |b| b.owner.clone()),
            updated_by: principal.user.clone(),
            root,
            keys,
            links,
            hidden,
            pinned,
            types: relationship_types,
            up_to,
            created_at: before
                .as_ref()
                .map_or_else(|| now.clone(), |b| b.created_at.clone()),
            updated_at: now,
        };
        services.graph.save_chart(&row).await?;
        Ok(row.into())
    }

    /// Deletes one of the caller's own charts; whether there was one.
    async fn delete_chart(&self, ctx: &Context<'_>, id: String) -> ApiResult<bool> {
        let user = crate::access::caller(ctx)?.user.clone();
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        Ok(services.graph.delete_chart(&scope, &user, &id).await?)
    }
}
