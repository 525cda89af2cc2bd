//! Cross-case review: the analyst confirms or rejects each match `crossLinks` lists for
//! an operation, with a reason. The decision is kept and audited with the request; a
//! confirmed match becomes a `CONFIRMED_LINK` from the person to the operation (who,
//! when, why), a rejected one is not listed again.

use async_graphql::{Context, Enum, Object, SimpleObject};
use toex_graph::LinkDecisionRow;
use toex_pipeline::Services;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// Longest reason, in characters.
const MAX_REASON_CHARS: usize = 2_000;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum MatchDecision {
    /// The same person or identifier: kept as a relationship in the graph.
    Confirmed,
    /// A coincidence (a shared postcode, a recycled number): not shown again.
    Rejected,
}

impl MatchDecision {
    fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "CONFIRMED",
            Self::Rejected => "REJECTED",
        }
    }
}

/// A decision on one cross-case match.
#[derive(SimpleObject)]
pub struct CrossLinkDecision {
    pub operation: String,
    /// The identifier (or person named) that carries the link, by node key.
    pub key: String,
    /// The person outside the operation.
    pub person_id: String,
    pub decision: MatchDecision,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: String,
}

impl From<LinkDecisionRow> for CrossLinkDecision {
    fn from(r: LinkDecisionRow) -> Self {
        Self {
            operation: r.operation,
            key: r.key,
            person_id: r.person,
            decision: if r.decision == "CONFIRMED" {
                MatchDecision::Confirmed
            } else {
                MatchDecision::Rejected
            },
            reason: r.reason,
            decided_by: r.by,
            decided_at: r.at,
        }
    }
}

/// The operation as given, which the caller must hold.
fn held_operation(ctx: &Context<'_>, operation: &str) -> ApiResult<String> {
    let operation = operation.trim();
    if operation.is_empty() {
        return Err(ApiError::bad_input("`operation` is required"));
    }
    crate::access::scope(ctx)?.narrow_operations(&[operation.to_owned()])?;
    Ok(operation.to_owned())
}

#[derive(Default)]
pub struct ReviewQuery;

#[Object]
impl ReviewQuery {
    /// The decisions taken on an operation's cross-case matches, newest first
    /// (`decision` narrows to confirmed or rejected ones).
    async fn cross_link_decisions(
        &self,
        ctx: &Context<'_>,
        operation: String,
        decision: Option<MatchDecision>,
        first: Option<i32>,
    ) -> ApiResult<Vec<CrossLinkDecision>> {
        let limit = crate::query::page_size(first)?;
        let operation = held_operation(ctx, &operation)?;
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let rows = services
            .graph
            .cross_link_decisions(
                &scope,
                &operation,
                decision.map(MatchDecision::as_str),
                limit as i64,
            )
            .await?;
        Ok(rows.into_iter().map(CrossLinkDecision::from).collect())
    }
}

#[derive(Default)]
pub struct ReviewMutation;

#[Object]
impl ReviewMutation {
    /// Confirms or rejects one of `crossLinks(operation)`'s matches — the identifier
    /// `key` in the operation's material and the person `personId` outside it — saying
    /// why. Deciding again replaces the decision (a confirmed link rejected later loses
    /// its relationship).
    async fn review_cross_link(
        &self,
        ctx: &Context<'_>,
        operation: String,
        key: String,
        person_id: String,
        decision: MatchDecision,
        reason: String,
    ) -> ApiResult<CrossLinkDecision> {
        let operation = held_operation(ctx, &operation)?;
        let reason = reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(ApiError::bad_input(format!(
                "say why in 1–{MAX_REASON_CHARS} characters: the decision is kept and audited"
            )));
        }
        let (key, person) = (key.trim().to_owned(), person_id.trim().to_owned());
        let unknown = || {
            ApiError::new(
                ErrorCode::NotFound,
                format!(
                    "no cross-case match of `{key}` and person `{person}` in {operation} you may see"
                ),
            )
        };
        if crate::redaction::is_hidden_node(ctx, &key).await?
            || crate::redaction::is_hidden_node(ctx, &format!("Person:{person}")).await?
        {
            return Err(unknown());
        }
        let row = LinkDecisionRow {
            operation: operation.clone(),
            key: key.clone(),
            person: person.clone(),
            decision: decision.as_str().to_owned(),
            reason,
            by: crate::access::caller(ctx)?.user.clone(),
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        };
        let scope = crate::access::scope(ctx)?;
        let services = ctx.data_unchecked::<Services>();
        let decided = services.graph.decide_cross_link(&scope, &row).await?;
        decided.map(CrossLinkDecision::from).ok_or_else(unknown)
    }
}
