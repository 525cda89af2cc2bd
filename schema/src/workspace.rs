//! What an analyst keeps and what it tells them: saved searches and watched identifiers
//! (each kept in the compartment the analyst had when making it), and the alerts new
//! material raises on them — listed, counted, marked read, and live by subscription.
//! An alert is shown only within the caller's present forces and operations.

use std::sync::Arc;

use async_graphql::{Context, Enum, Object, SimpleObject};
use toex_graph::{AlertRow, SavedSearchRow, WatchRow};
use toex_indexer::SearchRequest;
use toex_pipeline::Services;

use crate::error::{ApiError, ApiResult};

/// Most saved searches one analyst keeps (each runs over every new batch).
const MAX_SEARCHES: i64 = 200;
/// Most identifiers one analyst watches (each a key look-up per mention: cheap).
const MAX_WATCHES: i64 = 2_000;

/// A search kept by its owner and run against every new batch of material.
#[derive(SimpleObject)]
pub struct SavedSearch {
    pub id: String,
    pub name: String,
    pub query_text: String,
    /// The case (operation) it was saved for.
    pub operation: Option<String>,
    pub created_at: String,
}

/// A watched identifier or person.
#[derive(SimpleObject)]
pub struct Watch {
    pub id: String,
    /// The normalised key new material is checked for (`phone:+447700900001`).
    pub key: String,
    /// As the analyst typed it.
    pub label: String,
    pub operation: Option<String>,
    pub created_at: String,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AlertKind {
    /// New material matched a saved search.
    Search,
    /// New material mentions a watched identifier.
    Watch,
}

/// New material that matched a saved search or a watch.
#[derive(SimpleObject, Clone)]
pub struct Alert {
    pub id: String,
    pub kind: AlertKind,
    /// The saved search or watch, and its name or label.
    pub subject_id: String,
    pub subject: String,
    /// The document that matched; none when an import wrote a relationship about the
    /// watched key (see `relationship` and `related`).
    pub document_id: Option<String>,
    /// The document's title, or the imported file and line.
    pub title: String,
    pub force: String,
    pub operation: Option<String>,
    /// The segment (line, message, page) that matched.
    pub segment: Option<i32>,
    /// Why it matched, in a sentence.
    pub why: String,
    /// The saved search or watch belongs to a case and the material to another.
    pub cross_case: bool,
    /// The relationship written about the watched key: `USES`, `LIVES_AT`,
    /// `INVOLVED_IN`, `WENT_MISSING`, `CALLED`, `ASSOCIATE_OF` or `RECORD` (an import),
    /// `MENTIONS` (a document newly linked to a watched person); none for new material
    /// that mentions it.
    pub relationship: Option<String>,
    /// The graph key of the relationship's other end (`Person:WYP-12`,
    /// `Incident:INC-7`), under a pseudonym where it is a protected person's.
    pub related: Option<String>,
    /// What raised it: `ingest`, `relink`, or the import (`import:<content hash>`).
    pub source: Option<String>,
    pub created_at: String,
    pub read: bool,
}

/// The caller's alerts, newest first, with the count of unread ones.
#[derive(SimpleObject)]
pub struct Alerts {
    pub unread: i32,
    pub items: Vec<Alert>,
}

impl From<SavedSearchRow> for SavedSearch {
    fn from(r: SavedSearchRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            query_text: r.query,
            operation: r.operation,
            created_at: r.created_at,
        }
    }
}

impl From<WatchRow> for Watch {
    fn from(r: WatchRow) -> Self {
        Self {
            id: r.id,
            key: r.key,
            label: r.label,
            operation: r.operation,
            created_at: r.created_at,
        }
    }
}

impl Alert {
    fn shown(r: &AlertRow, hidden: &Option<Arc<crate::redaction::Protected>>) -> Self {
        Self {
            id: r.id.clone(),
            kind: if r.kind == "WATCH" {
                AlertKind::Watch
            } else {
                AlertKind::Search
            },
            subject_id: r.subject_id.clone(),
            subject: r.subject.clone(),
            document_id: r.document_id.clone(),
            title: r.title.clone(),
            force: r.force.clone(),
            operation: r.document_operation.clone(),
            segment: r.segment.and_then(|s| i32::try_from(s).ok()),
            why: r.why.clone(),
            cross_case: r.cross_case,
            relationship: r.relationship.clone(),
            related: r.related.as_ref().map(|key| {
                let pseudonym = hidden.as_ref().and_then(|p| p.label_of_key(key));
                match (pseudonym, key.split_once(':')) {
                    (Some(shown), Some((label, _))) => format!("{label}:{shown}"),
                    _ => key.clone(),
                }
            }),
            source: r.source.clone(),
            created_at: r.created_at.clone(),
            read: r.read,
        }
    }
}

/// A new id for something the caller keeps.
fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The case a standing order is made for: one the caller holds, or none.
fn case_of(ctx: &Context<'_>, operation: Option<String>) -> ApiResult<Option<String>> {
    let operation = operation
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty());
    if let Some(op) = &operation {
        crate::access::scope(ctx)?.narrow_operations(std::slice::from_ref(op))?;
    }
    Ok(operation)
}

/// Whether a watched key names a protected person or identifier hidden from the caller:
/// such an alert would tell them where the person appears.
fn hides(hidden: &Option<Arc<crate::redaction::Protected>>, key: &str) -> bool {
    let Some(protected) = hidden else {
        return false;
    };
    match key.split_once(':') {
        Some(("person", id)) => protected.label_of_key(&format!("Person:{id}")).is_some(),
        Some((kind, value)) => toex_extract::EntityKind::parse(kind)
            .is_some_and(|kind| protected.is_protected_identifier(kind, value)),
        None => false,
    }
}

/// Alerts the caller may be shown: a watch on what is now a protected person (or their
/// identifier) is left out for callers who may not see protected persons, and the other
/// end of a relationship that is one is shown under its pseudonym.
fn visible<'a>(
    hidden: &'a Option<Arc<crate::redaction::Protected>>,
    rows: impl IntoIterator<Item = &'a AlertRow> + 'a,
) -> impl Iterator<Item = Alert> + 'a {
    rows.into_iter()
        .filter(|r| !r.watched_key.as_deref().is_some_and(|k| hides(hidden, k)))
        .map(|r| Alert::shown(r, hidden))
}

#[derive(Default)]
pub struct WorkspaceQuery;

#[Object]
impl WorkspaceQuery {
    /// The caller's saved searches, oldest first.
    async fn saved_searches(&self, ctx: &Context<'_>) -> ApiResult<Vec<SavedSearch>> {
        let user = &crate::access::caller(ctx)?.user;
        let services = ctx.data_unchecked::<Services>();
        let rows = services.graph.saved_searches(Some(user)).await?;
        Ok(rows.into_iter().map(SavedSearch::from).collect())
    }

    /// The caller's watched identifiers and persons, oldest first.
    async fn watches(&self, ctx: &Context<'_>) -> ApiResult<Vec<Watch>> {
        let user = &crate::access::caller(ctx)?.user;
        let services = ctx.data_unchecked::<Services>();
        let rows = services.graph.watches(Some(user)).await?;
        Ok(rows.into_iter().map(Watch::from).collect())
    }

    /// The caller's alerts within their forces and operations, newest first (at most
    /// `first`, 1 to 500), and how many are unread.
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unread_only: bool,
        #[graphql(default = 50)] first: i32,
    ) -> ApiResult<Alerts> {
        if !(1..=500).contains(&first) {
            return Err(ApiError::bad_input("`first` must be from 1 to 500"));
        }
        let user = crate::access::caller(ctx)?.user.clone();
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let rows = services
            .graph
            .alerts(&scope, &user, unread_only, i64::from(first))
            .await?;
        let unread = services.graph.unread_alerts(&scope, &user).await?;
        let hidden = crate::redaction::hidden_from(ctx).await?;
        Ok(Alerts {
            unread: i32::try_from(unread).unwrap_or(i32::MAX),
            items: visible(&hidden, &rows).collect(),
        })
    }
}

#[derive(Default)]
pub struct WorkspaceMutation;

#[Object]
impl WorkspaceMutation {
    /// Keeps a keyword search (the `search` syntax) under `name`: every new batch of
    /// material within the caller's present forces and operations (or `operation`, the
    /// case it is for) is checked against it, and each match is an alert.
    async fn save_search(
        &self,
        ctx: &Context<'_>,
        name: String,
        query_text: String,
        operation: Option<String>,
    ) -> ApiResult<SavedSearch> {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ApiError::bad_input("`name` must be 1–200 characters"));
        }
        crate::query::check_query_text(&query_text)?;
        let principal = crate::access::caller(ctx)?;
        let operation = case_of(ctx, operation)?;
        let scope = crate::access::scope(ctx)?;
        // As `search` takes it: no prefixes for roles that may not see protected
        // persons, and their names and identifiers taken out.
        let query_text = crate::query::searchable(ctx, query_text).await?;
        if query_text.trim().is_empty() {
            return Err(ApiError::bad_input("nothing is left to search for"));
        }
        let services = ctx.data_unchecked::<Services>().clone();
        if services
            .graph
            .standing_counts(&principal.user)
            .await?
            .searches
            >= MAX_SEARCHES
        {
            return Err(ApiError::bad_input(format!(
                "at most {MAX_SEARCHES} saved searches each; delete one first"
            )));
        }
        // It must parse now, not fail quietly on every batch.
        let check = SearchRequest {
            limit: 1,
            ..SearchRequest::new(query_text.clone(), scope.clone())
        };
        let index = services.index.clone();
        services
            .cpu
            .run(move || index.search(&check))
            .await
            .map_err(ApiError::from)?
            .map_err(ApiError::from)?;
        let row = SavedSearchRow {
            id: new_id("search"),
            owner: principal.user.clone(),
            name,
            query: query_text,
            operation,
            forces: scope.forces().to_vec(),
            operations: scope.operations().map(<[String]>::to_vec),
            created_at: now(),
        };
        services.save_search(&row).await?;
        Ok(row.into())
    }

    /// Deletes one of the caller's saved searches; whether there was one.
    async fn delete_saved_search(&self, ctx: &Context<'_>, id: String) -> ApiResult<bool> {
        let user = &crate::access::caller(ctx)?.user;
        let services = ctx.data_unchecked::<Services>();
        Ok(services.delete_saved_search(user, &id).await?)
    }

    /// Watches an identifier (a phone in any common form, email, VRM, postcode, handle,
    /// bank detail or wallet) or a person (`Person:<id>`): every new batch of material
    /// within the caller's present forces and operations that mentions it, however
    /// written, is an alert.
    async fn watch(
        &self,
        ctx: &Context<'_>,
        identifier: String,
        operation: Option<String>,
    ) -> ApiResult<Watch> {
        let label = identifier.trim().to_owned();
        if label.is_empty() || label.chars().count() > 500 {
            return Err(ApiError::bad_input("`identifier` must be 1–500 characters"));
        }
        let (kind, value) = match label.split_once(':') {
            Some(("Person", id)) if !id.trim().is_empty() => {
                (toex_extract::EntityKind::Person, id.trim().to_owned())
            }
            _ => toex_extract::classify(&label).ok_or_else(|| {
                ApiError::bad_input(format!(
                    "`{label}` is not an identifier toex extracts (a phone, email, VRM, \
                     postcode, handle, bank detail or wallet) nor `Person:<id>`"
                ))
            })?,
        };
        let principal = crate::access::caller(ctx)?;
        let operation = case_of(ctx, operation)?;
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        if services
            .graph
            .standing_counts(&principal.user)
            .await?
            .watches
            >= MAX_WATCHES
        {
            return Err(ApiError::bad_input(format!(
                "at most {MAX_WATCHES} watches each; remove one first"
            )));
        }
        let row = WatchRow {
            id: new_id("watch"),
            owner: principal.user.clone(),
            key: kind.key(&value),
            label,
            operation,
            forces: scope.forces().to_vec(),
            operations: scope.operations().map(<[String]>::to_vec),
            created_at: now(),
        };
        services.add_watch(&row).await?;
        Ok(row.into())
    }

    /// Stops one of the caller's watches; whether there was one.
    async fn unwatch(&self, ctx: &Context<'_>, id: String) -> ApiResult<bool> {
        let user = &crate::access::caller(ctx)?.user;
        let services = ctx.data_unchecked::<Services>();
        Ok(services.delete_watch(user, &id).await?)
    }

    /// Marks the caller's alerts `ids` read; how many were unread.
    async fn mark_alerts_read(&self, ctx: &Context<'_>, ids: Vec<String>) -> ApiResult<i32> {
        if ids.len() > 500 {
            return Err(ApiError::bad_input("at most 500 alerts at a time"));
        }
        let user = &crate::access::caller(ctx)?.user;
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let marked = services.graph.mark_alerts_read(&scope, user, &ids).await?;
        Ok(i32::try_from(marked).unwrap_or(i32::MAX))
    }
}

/// The caller's new alerts as they are raised, within their present compartment.
pub(crate) async fn alert_stream(
    ctx: &Context<'_>,
) -> ApiResult<impl futures::Stream<Item = Alert> + use<>> {
    // Listening before anything is awaited: an alert raised meanwhile is not missed.
    let mut rx = ctx.data_unchecked::<Services>().alerts.subscribe();
    let hidden = crate::redaction::hidden_from(ctx).await?;
    let user = crate::access::caller(ctx)?.user.clone();
    let scope = crate::access::scope(ctx)?;
    Ok(async_stream::stream! {
        loop {
            match rx.recv().await {
                Ok(alert) => {
                    if alert.owner == user
                        && scope.contains(&alert.force, alert.document_operation.as_deref())
                    {
                        for shown in visible(&hidden, [alert.as_ref()]) {
                            yield shown;
                        }
                    }
                }
                // Too slow a reader misses some; the list still has them.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}
