//! The per-request guard, an async-graphql extension: it bounds the fields a document
//! selects once its fragments are spread (before validation), caps aliases, requires a stated
//! purpose for anything but introspection, redacts protected persons' names for callers
//! without the right, and appends every operation to the audit log.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextRequest, NextSubscribe,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Request, Response, ServerError, ServerResult, Value, Variables};
use futures::StreamExt;
use futures::stream::BoxStream;
use sha2::{Digest, Sha256};
use toex_access::{AuditLog, AuditRecord, Principal, mask_query_text, redact_variables};

use crate::access::{Purpose, Session};
use crate::error::ApiError;
use crate::error::ErrorCode;
use crate::redaction::{Echoes, REDACTION_CODE, Redactor};

/// Builds a [`Guard`] per request.
pub struct GuardFactory {
    pub max_aliases: usize,
    pub audit: Option<Arc<AuditLog>>,
    pub redactor: Arc<Redactor>,
}

impl ExtensionFactory for GuardFactory {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Guard {
            max_aliases: self.max_aliases,
            audit: self.audit.clone(),
            redactor: self.redactor.clone(),
            seen: Arc::new(Mutex::new(Seen::default())),
            echoes: Echoes::default(),
        })
    }
}

#[derive(Default, Clone)]
struct Seen {
    principal: Option<Principal>,
    purpose: Option<String>,
    operation: Option<String>,
    query_hash: String,
    query: String,
    variables: serde_json::Value,
}

pub struct Guard {
    max_aliases: usize,
    audit: Option<Arc<AuditLog>>,
    redactor: Arc<Redactor>,
    /// What `prepare_request` saw, for the hooks that come after (shared with a
    /// subscription's stream).
    seen: Arc<Mutex<Seen>>,
    /// What the resolvers echo back as the caller sent it (not redacted).
    echoes: Echoes,
}

fn server_error(err: ApiError) -> ServerError {
    let err: async_graphql::Error = err.into();
    err.into_server_error(Default::default())
}

fn error(code: ErrorCode, message: impl Into<String>) -> ServerError {
    let mut err = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code.as_str());
    err.extensions = Some(ext);
    err
}

/// Aliased fields as they would execute, fragment spreads expanded.
struct AliasCount {
    aliases: usize,
    /// Selections visited: expansion stops past [`MAX_VISITS`], so cyclic or fanned-out
    /// fragments cannot make counting slow (validation rejects such documents later).
    visits: usize,
    budget: usize,
}

const MAX_VISITS: usize = 100_000;

impl AliasCount {
    fn walk(&mut self, set: &SelectionSet, doc: &ExecutableDocument, depth: usize) {
        if depth > 64 {
            return;
        }
        for item in &set.items {
            self.visits += 1;
            if self.aliases > self.budget || self.visits > MAX_VISITS {
                return;
            }
            match &item.node {
                Selection::Field(f) => {
                    self.aliases += usize::from(f.node.alias.is_some());
                    self.walk(&f.node.selection_set.node, doc, depth + 1);
                }
                Selection::InlineFragment(frag) => {
                    self.walk(&frag.node.selection_set.node, doc, depth + 1);
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(frag) = doc.fragments.get(&spread.node.fragment_name.node) {
                        self.walk(&frag.node.selection_set.node, doc, depth + 1);
                    }
                }
            }
        }
    }
}

/// Whether every root field of every operation is `__schema`, `__type` or `__typename`.
fn introspection_only(doc: &ExecutableDocument) -> bool {
    doc.operations.iter().all(|(_, op)| {
        op.node
            .selection_set
            .node
            .items
            .iter()
            .all(|item| match &item.node {
                Selection::Field(f) => f.node.name.node.starts_with("__"),
                _ => false,
            })
    })
}

/// The number of results a response carries: list lengths (or connection edges) of
/// each root field, 1 for an object, 0 for null.
fn result_count(data: &Value) -> u64 {
    let Value::Object(roots) = data else { return 0 };
    roots
        .values()
        .map(|v| match v {
            Value::Null => 0,
            Value::List(items) => items.len() as u64,
            Value::Object(obj) => ["edges", "nodes", "rows", "cells", "hits"]
                .iter()
                .find_map(|k| match obj.get(*k) {
                    Some(Value::List(items)) => Some(items.len() as u64),
                    _ => None,
                })
                .unwrap_or(1),
            _ => 1,
        })
        .sum()
}

#[async_trait::async_trait]
impl Extension for Guard {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        {
            let mut seen = self.seen.lock().expect("guard lock");
            // Request data is not visible to the `request` hook's context: keep it here.
            seen.principal = request
                .data
                .get(&std::any::TypeId::of::<Principal>())
                .and_then(|d| d.downcast_ref::<Principal>())
                .or_else(|| ctx.data_opt::<Principal>())
                .cloned();
            seen.purpose = request
                .data
                .get(&std::any::TypeId::of::<Purpose>())
                .and_then(|d| d.downcast_ref::<Purpose>())
                .or_else(|| ctx.data_opt::<Purpose>())
                .map(|p| p.0.clone());
            seen.operation = request.operation_name.clone();
            seen.query_hash = Sha256::digest(request.query.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            seen.query = mask_query_text(&request.query);
            seen.variables = serde_json::to_value(&request.variables)
                .map(|v| redact_variables(&v))
                .unwrap_or(serde_json::Value::Null);
        }
        // Parsed here (async-graphql keeps the document) and sized before anything walks
        // it: the engine's own recursion, depth and complexity checks spread every
        // fragment where it is used. A document that does not parse is left for the
        // engine to report.
        // A WebSocket's credentials and rate, again for each operation it starts.
        if let Some(session) = ctx.data_opt::<Session>() {
            session.0.start_operation().map_err(server_error)?;
        }
        let mut request = request.data(self.echoes.clone());
        if let Ok(doc) = request.parsed_query()
            && let Err(refusal) = crate::expansion::expanded_fields(doc)
        {
            return Err(error(ErrorCode::BadInput, refusal.to_string()));
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let mut counter = AliasCount {
            aliases: 0,
            visits: 0,
            budget: self.max_aliases,
        };
        for (_, op) in doc.operations.iter() {
            counter.walk(&op.node.selection_set.node, &doc, 0);
        }
        let aliases = counter.aliases;
        if aliases > self.max_aliases {
            return Err(error(
                ErrorCode::BadInput,
                format!(
                    "a request may use at most {} aliases (fragments counted where they \
                     are spread)",
                    self.max_aliases
                ),
            ));
        }
        let purpose = ctx.data_opt::<Purpose>().filter(|p| !p.0.trim().is_empty());
        if purpose.is_none() && !introspection_only(&doc) {
            return Err(error(
                ErrorCode::PurposeRequired,
                "state the purpose of this request (an operation or case reference) in the \
                 `X-Toex-Purpose` header",
            ));
        }
        Ok(doc)
    }

    /// A query or mutation on a WebSocket runs under its session's time limit (a POST's:
    /// HTTP limits the whole request instead); past it the answer is TIMEOUT.
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let started = std::time::Instant::now();
        let Some(limit) = ctx.data_opt::<Session>().and_then(|s| s.0.time_limit()) else {
            let mut response = next.run(ctx, operation_name).await;
            crate::error::name_what_was_asked(&mut response.errors);
            tracing::debug!(
                operation = operation_name.unwrap_or("-"),
                elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
                "executed"
            );
            return response;
        };
        match tokio::time::timeout(limit, next.run(ctx, operation_name)).await {
            Ok(mut response) => {
                crate::error::name_what_was_asked(&mut response.errors);
                response
            }
            Err(_) => Response::from_errors(vec![error(
                ErrorCode::Timeout,
                format!(
                    "the operation ran longer than {} ms and was stopped; narrow it and retry",
                    limit.as_millis()
                ),
            )]),
        }
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let sealing_started = std::time::Instant::now();
        let mut seen = std::mem::take(&mut *self.seen.lock().expect("guard lock"));
        if seen.principal.is_none() {
            seen.principal = ctx.data_opt::<Principal>().cloned();
        }
        let echoes = self.echoes.take();
        let sealing = Sealing {
            redactor: &self.redactor,
            audit: self.audit.as_ref(),
            echoes: &echoes,
        };
        let response = seal(response, &seen, sealing, None).await;
        tracing::debug!(
            elapsed_ms = sealing_started.elapsed().as_secs_f64() * 1e3,
            "redacted and audited"
        );
        response
    }

    /// Subscriptions: each event is redacted like a response; the subscription is
    /// audited once, when its first event (or its refusal) comes. On a WebSocket, the
    /// stream ends with UNAUTHENTICATED at its next event once its token is revoked or
    /// expired or its user disabled.
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let stream = next.run(ctx, stream);
        let stream = match ctx.data_opt::<Session>().cloned() {
            None => stream,
            Some(session) => futures::stream::unfold(
                (stream, session, false),
                |(mut s, session, ended)| async move {
                    if ended {
                        return None;
                    }
                    let response = s.next().await?;
                    match session.0.still_valid() {
                        Ok(()) => Some((response, (s, session, false))),
                        Err(err) => {
                            let refusal = Response::from_errors(vec![server_error(err)]);
                            Some((refusal, (s, session, true)))
                        }
                    }
                },
            )
            .boxed(),
        };
        let seen = self.seen.clone();
        let fallback = ctx.data_opt::<Principal>().cloned();
        let (redactor, audit) = (self.redactor.clone(), self.audit.clone());
        let mut pending = PendingAudit {
            seen: seen.clone(),
            fallback: fallback.clone(),
            audit: audit.clone(),
            sealed: false,
        };
        stream
            .then(move |response| {
                // A method call: the closure owns the whole of `pending`, not one field.
                let audit = pending.seal().then(|| audit.clone()).flatten();
                let mut seen = seen.lock().expect("guard lock").clone();
                if seen.principal.is_none() {
                    seen.principal = fallback.clone();
                }
                let redactor = redactor.clone();
                async move {
                    let sealing = Sealing {
                        redactor: &redactor,
                        audit: audit.as_ref(),
                        echoes: &[],
                    };
                    seal(response, &seen, sealing, Some("subscribed")).await
                }
            })
            .boxed()
    }
}

/// A subscription (or an operation on a WebSocket) not yet audited. Its entry is written
/// with its first event; dropped before one (the client went away, the socket closed,
/// the operation was cut short), it writes the entry itself, so every operation started
/// leaves one.
struct PendingAudit {
    seen: Arc<Mutex<Seen>>,
    fallback: Option<Principal>,
    audit: Option<Arc<AuditLog>>,
    sealed: bool,
}

impl PendingAudit {
    /// Marks the first event's entry as written; true the first time only.
    fn seal(&mut self) -> bool {
        !std::mem::replace(&mut self.sealed, true)
    }
}

impl Drop for PendingAudit {
    fn drop(&mut self) {
        if self.sealed {
            return;
        }
        let Some(audit) = self.audit.take() else {
            return;
        };
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if seen.principal.is_none() {
            seen.principal = self.fallback.take();
        }
        let Some(principal) = seen.principal.as_ref() else {
            // Never started: nothing was asked of the engine.
            return;
        };
        let record = audit_record(&seen, principal, 0, "ended before its first event");
        let append = move || {
            if let Err(err) = audit.append(record) {
                tracing::error!(error = %err, "audit append failed for an operation that ended early");
            }
        };
        // File I/O under the log's lock: off the async workers where there are some.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(append)),
            Err(_) => append(),
        }
    }
}

/// The audit entry of an operation `seen` for `principal`.
fn audit_record(
    seen: &Seen,
    principal: &Principal,
    result_count: u64,
    outcome: &str,
) -> AuditRecord {
    AuditRecord {
        user: principal.user.clone(),
        role: principal.role,
        forces: principal.forces.clone(),
        operation: seen.operation.clone(),
        operations: principal.operations.clone(),
        query_hash: seen.query_hash.clone(),
        query: seen.query.clone(),
        variables: seen.variables.clone(),
        result_count,
        purpose: seen.purpose.clone().unwrap_or_default(),
        outcome: outcome.to_owned(),
    }
}

/// What a response is redacted and audited with.
struct Sealing<'a> {
    redactor: &'a Redactor,
    audit: Option<&'a Arc<AuditLog>>,
    /// The caller's own values, echoed back unredacted.
    echoes: &'a [String],
}

/// Gives engine errors their code, redacts `response` for the caller and appends it to `audit` (when given): the
/// outcome is `ok` or `error`, or `outcome` for a subscription that started. A response
/// that cannot be redacted carries no data; one that cannot be audited is withheld.
async fn seal(
    mut response: Response,
    seen: &Seen,
    sealing: Sealing<'_>,
    outcome: Option<&str>,
) -> Response {
    let Sealing {
        redactor,
        audit,
        echoes,
    } = sealing;
    // Every resolver error carries its code (schema/src/error.rs); one without is the
    // engine's own refusal of the request (syntax, validation, argument coercion).
    for e in &mut response.errors {
        let ext = e.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", ErrorCode::BadInput.as_str());
        }
    }
    let Some(principal) = seen.principal.as_ref() else {
        return response;
    };
    if !principal.sees_protected() {
        let mut redacted = 0;
        match redactor
            .redact(&principal.forces, &mut response.data, echoes)
            .await
        {
            Ok(n) => redacted += n,
            Err(err) => {
                // Fail closed: no data unless it could be redacted.
                let err: async_graphql::Error = err.into();
                response.data = Value::Null;
                response
                    .errors
                    .push(err.into_server_error(Default::default()));
            }
        }
        for e in &mut response.errors {
            let mut v = Value::String(std::mem::take(&mut e.message));
            redacted += redactor
                .redact(&principal.forces, &mut v, echoes)
                .await
                .unwrap_or(0);
            if let Value::String(s) = v {
                e.message = s;
            }
        }
        if redacted > 0 {
            // Why the client sees pseudonyms: a code it can show, and how many.
            let mut why = async_graphql::indexmap::IndexMap::new();
            why.insert(
                async_graphql::Name::new("code"),
                Value::from(REDACTION_CODE),
            );
            why.insert(async_graphql::Name::new("count"), Value::from(redacted));
            response
                .extensions
                .insert("redaction".to_owned(), Value::Object(why));
        }
    }
    let Some(audit) = audit else {
        return response;
    };
    let ok = response.errors.is_empty();
    let outcome = match (ok, outcome) {
        (true, Some(o)) => o,
        (true, None) => "ok",
        (false, _) => "error",
    };
    let record = audit_record(seen, principal, result_count(&response.data), outcome);
    // File I/O under the log's lock: off the async workers.
    let log = audit.clone();
    let appended = tokio::task::spawn_blocking(move || log.append(record).map(drop))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    if let Err(err) = appended {
        // An operation that cannot be audited must not return data.
        tracing::error!(error = %err, "audit append failed; withholding the response");
        return Response::from_errors(vec![error(
            ErrorCode::Internal,
            "the audit log cannot be written; the request was not answered",
        )]);
    }
    response
}
