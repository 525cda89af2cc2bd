//! `auditLog`: supervisors read who asked what, when and why, about their own forces'
//! data only.

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use toex_access::{AuditLog, AuditQuery, Role};

use crate::error::{ApiError, ApiResult, ErrorCode};

/// One audited operation.
#[derive(Debug, Clone, SimpleObject)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub user: String,
    pub role: String,
    pub forces: Vec<String>,
    pub operation: Option<String>,
    /// The operation compartments the caller was confined to (empty: none).
    pub operations: Vec<String>,
    /// SHA-256 of the query text.
    pub query_hash: String,
    /// The query text, string literals over 200 characters cut.
    pub query: String,
    /// The variables, credentials and bulk text redacted.
    pub variables: async_graphql::Json<serde_json::Value>,
    pub result_count: u64,
    pub purpose: String,
    /// `ok`, `error` or `refused: …`.
    pub outcome: String,
}

#[derive(Default)]
pub struct AuditQueryRoot;

#[Object]
impl AuditQueryRoot {
    /// Audit entries, newest first, of operations whose callers saw only forces the
    /// caller holds too (supervisors and admins only): an entry of a user who also holds
    /// another force may be about that force's data. `to` is exclusive.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        user: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        #[graphql(default = 100)] first: i32,
    ) -> ApiResult<Vec<AuditEntry>> {
        let caller = crate::access::caller(ctx)?;
        caller.require(Role::Supervisor)?;
        let first = crate::query::page_size(Some(first))?;
        let log = ctx
            .data_opt::<Arc<AuditLog>>()
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "this instance keeps no audit log"))?
            .clone();
        let forces = caller.forces.clone();
        let entries = tokio::task::spawn_blocking(move || {
            // Read generously, then keep entries wholly within the caller's forces.
            log.read(&AuditQuery {
                user,
                from,
                to,
                limit: usize::MAX,
            })
        })
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))??;
        Ok(entries
            .into_iter()
            .filter(|e| e.record.forces.iter().all(|f| forces.contains(f)))
            .take(first)
            .map(|e| AuditEntry {
                seq: e.seq,
                at: e.at,
                user: e.record.user,
                role: e.record.role.as_str().to_owned(),
                forces: e.record.forces,
                operation: e.record.operation,
                operations: e.record.operations,
                query_hash: e.record.query_hash,
                query: e.record.query,
                variables: async_graphql::Json(e.record.variables),
                result_count: e.record.result_count,
                purpose: e.record.purpose,
                outcome: e.record.outcome,
            })
            .collect())
    }
}
