//! Review of cross-case matches: an analyst confirms or rejects a link from an
//! operation's material to a person outside it. Each decision is kept (`LinkDecision`,
//! one per operation, identifier and person); a confirmed one becomes a `CONFIRMED_LINK`
//! relationship from the person to the operation with who decided, when and why, and a
//! rejected one removes that relationship and hides the match from `crossLinks`.

use serde::Deserialize;

use super::scoped;
use crate::{GraphClient, GraphError, Scope};

/// A decision on one cross-case match.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LinkDecisionRow {
    pub operation: String,
    /// The identifier (or person) that carries the link, by node key.
    pub key: String,
    pub person: String,
    /// `CONFIRMED` or `REJECTED`.
    pub decision: String,
    pub reason: String,
    pub by: String,
    /// RFC 3339.
    pub at: String,
}

/// Keeps the decision when the match is one the caller may see: the operation is
/// theirs, its material mentions the key, and the person uses it, lives there or is it.
const DECIDE: &str = concat!(
    "MATCH (o:Operation {id: $operation}) WHERE ",
    operation_allowed!("o.id"),
    " AND o.force IN $forces \
     MATCH (x:Entity {key: $key}) WHERE EXISTS { \
       MATCH (d:Document)-[m:MENTIONS]->(x) \
       WHERE d.operation = $operation AND m.force IN $forces AND ",
    in_scope!("d"),
    " } MATCH (p:Person {id: $person}) WHERE ",
    in_scope!("p"),
    " AND (p = x OR EXISTS { MATCH (p)-[u:USES|LIVES_AT]->(x) WHERE u.force IN $forces }) \
     MERGE (c:LinkDecision {id: $operation + '|' + $key + '|' + $person}) \
     SET c.operation = $operation, c.key = $key, c.person = $person, c.decision = $decision, \
       c.reason = $reason, c.by = $by, c.at = $at, c.force = o.force \
     WITH o, p, c \
     OPTIONAL MATCH (p)-[old:CONFIRMED_LINK {key: $key}]->(o) \
     FOREACH (_ IN CASE WHEN $decision = 'REJECTED' AND old IS NOT NULL THEN [1] ELSE [] END | \
       DELETE old) \
     FOREACH (_ IN CASE WHEN $decision = 'CONFIRMED' THEN [1] ELSE [] END | \
       MERGE (p)-[r:CONFIRMED_LINK {key: $key}]->(o) \
       SET r.by = $by, r.at = $at, r.reason = $reason, r.force = o.force, \
         r.source = 'review:' + $by, r.firstSeen = datetime($at), r.lastSeen = datetime($at)) \
     RETURN DISTINCT c.operation AS operation, c.key AS key, c.person AS person, \
       c.decision AS decision, c.reason AS reason, c.by AS by, c.at AS at"
);

const DECISIONS: &str = concat!(
    "MATCH (c:LinkDecision {operation: $operation}) WHERE ",
    operation_allowed!("c.operation"),
    " AND c.force IN $forces AND ($decision IS NULL OR c.decision = $decision) \
     MATCH (p:Person {id: c.person}) WHERE ",
    in_scope!("p"),
    " RETURN c.operation AS operation, c.key AS key, c.person AS person, \
       c.decision AS decision, c.reason AS reason, c.by AS by, c.at AS at \
     ORDER BY c.at DESC, c.key, c.person LIMIT $limit"
);

impl GraphClient {
    /// Confirms or rejects a cross-case match; `None` when there is no such match the
    /// caller may see.
    ///
    /// Cypher: one statement that checks the match, `MERGE`s the decision, and `MERGE`s
    /// or deletes the `CONFIRMED_LINK`.
    pub async fn decide_cross_link(
        &self,
        scope: &Scope,
        decision: &LinkDecisionRow,
    ) -> Result<Option<LinkDecisionRow>, GraphError> {
        let query = scoped(DECIDE, scope)
            .param("operation", decision.operation.clone())
            .param("key", decision.key.clone())
            .param("person", decision.person.clone())
            .param("decision", decision.decision.clone())
            .param("reason", decision.reason.clone())
            .param("by", decision.by.clone())
            .param("at", decision.at.clone());
        let rows: Vec<LinkDecisionRow> = self.write_rows(query).await?;
        Ok(rows.into_iter().next())
    }

    /// Decisions taken on an operation's cross-case matches (those of persons the caller
    /// may see), newest first; `decision` narrows to `CONFIRMED` or `REJECTED`.
    pub async fn cross_link_decisions(
        &self,
        scope: &Scope,
        operation: &str,
        decision: Option<&str>,
        limit: i64,
    ) -> Result<Vec<LinkDecisionRow>, GraphError> {
        let query = scoped(DECISIONS, scope)
            .param("operation", operation)
            .param("decision", decision.map(str::to_owned))
            .param("limit", limit);
        self.rows(query).await
    }
}
