//! The caller in the GraphQL context: who they are ([`Principal`], put there by the
//! server after authentication), why they ask ([`Purpose`]), and the compartment helpers
//! every resolver uses so that each query is filtered by the caller's forces inside it.

use std::sync::Arc;

use async_graphql::Context;
use toex_access::Principal;
use toex_graph::Scope;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// The stated lawful purpose of a request (an operation reference), from the
/// `X-Toex-Purpose` header or the WebSocket connection payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose(pub String);

/// What keeps a long-lived session (a WebSocket) honest after its handshake: checked
/// before each operation it starts and each event it sends. The server provides it; an
/// HTTP request is checked by the server once, before it reaches the schema.
pub trait SessionCheck: Send + Sync {
    /// Before an operation: the credentials still hold and the caller's rate allows it.
    fn start_operation(&self) -> ApiResult<()>;
    /// Before an event: the credentials still hold (not revoked, expired or disabled).
    fn still_valid(&self) -> ApiResult<()>;
    /// How long one query or mutation on the session may run (none: the transport
    /// limits the whole request, as HTTP does).
    fn time_limit(&self) -> Option<std::time::Duration> {
        None
    }
}

/// A session's check, in the connection's data.
#[derive(Clone)]
pub struct Session(pub Arc<dyn SessionCheck>);

/// The authenticated caller, or `UNAUTHENTICATED`.
pub fn caller<'a>(ctx: &Context<'a>) -> ApiResult<&'a Principal> {
    ctx.data_opt::<Principal>().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthenticated,
            "authentication required: send `Authorization: Bearer <token>`",
        )
    })
}

/// The caller's compartment for this request: built from the principal, never wider.
/// Every engine call that reads or writes case data takes it.
pub fn scope(ctx: &Context<'_>) -> ApiResult<Scope> {
    Ok(caller(ctx)?.scope()?)
}

/// The caller's compartment narrowed to the `forces` and `operations` a request names
/// (FORBIDDEN for any the caller does not hold).
pub fn scope_for(ctx: &Context<'_>, forces: &[String], operations: &[String]) -> ApiResult<Scope> {
    Ok(scope(ctx)?
        .narrow_forces(forces)?
        .narrow_operations(operations)?)
}

/// Where a write goes: a force code the caller holds (normalised as stored) and an
/// operation within their compartments. A caller confined to operations must name one:
/// material in no operation would lie outside their own compartment.
pub fn write_target(
    ctx: &Context<'_>,
    force: &str,
    operation: Option<&str>,
) -> ApiResult<(String, Option<String>)> {
    let code = toex_scope::normalise_force(force)?;
    let operation = operation.map(str::trim).filter(|o| !o.is_empty());
    let scope = scope_for(ctx, std::slice::from_ref(&code), &[])?;
    if let Some(op) = operation {
        scope.narrow_operations(&[op.to_owned()])?;
    } else if scope.operations().is_some() {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "you work in named operations: say which one this belongs to",
        ));
    }
    Ok((code, operation.map(str::to_owned)))
}
