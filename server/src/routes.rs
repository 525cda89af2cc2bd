//! HTTP routes: GraphQL over POST and GET (queries), GraphiQL, subscriptions over WebSocket,
//! `/health`, and the web client's static files. The gate in front of GraphQL
//! authenticates (before a byte of the body is read), rate-limits, bounds the body, takes
//! the stated purpose and bounds the running time, and audits every refusal; everything
//! else (`/health`'s up/down, GraphiQL's page, static files) is public.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::graphql_http as http;
use actix_files::NamedFile;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, web};
use async_graphql::BatchRequest;
use async_graphql::http::MultipartOptions;
use async_graphql_actix_web::GraphQLSubscription;
use toex_access::{AccessError, AuditLog, AuditRecord, Authenticator, Principal, RateLimiter};
use toex_schema::{ApiError, ErrorCode, Purpose, Services, Session, SessionCheck, ToexSchema};

/// The header that states a request's lawful purpose (an operation or case reference).
pub const PURPOSE_HEADER: &str = "x-toex-purpose";

/// Authentication, rate limits, the audit log for refusals, the body and time limits.
pub struct Gate {
    pub auth: Arc<Authenticator>,
    pub limiter: RateLimiter,
    pub audit: Arc<AuditLog>,
    pub timeout: Duration,
    /// Largest request body read, in bytes (`server.max_body_bytes`).
    pub max_body: usize,
}

impl Gate {
    /// Records a request refused before it reached the schema.
    fn refused(&self, principal: Option<&Principal>, purpose: &str, why: &str) {
        let record = AuditRecord {
            user: principal.map_or_else(|| "anonymous".to_owned(), |p| p.user.clone()),
            role: principal.map_or(toex_access::Role::Analyst, |p| p.role),
            forces: principal.map(|p| p.forces.clone()).unwrap_or_default(),
            operation: None,
            operations: principal.map(|p| p.operations.clone()).unwrap_or_default(),
            query_hash: String::new(),
            query: String::new(),
            variables: serde_json::Value::Null,
            result_count: 0,
            purpose: purpose.to_owned(),
            outcome: format!("refused: {why}"),
        };
        if let Err(err) = self.audit.append(record) {
            tracing::error!(error = %err, "audit append failed");
        }
    }

    /// The caller named by the `Authorization` value of a request from `client` (argon2
    /// runs off the async runtime).
    async fn authenticate(
        &self,
        header: Option<String>,
        client: Option<String>,
    ) -> Result<Principal, AccessError> {
        let auth = self.auth.clone();
        web::block(move || auth.authenticate_from(header.as_deref(), client.as_deref()))
            .await
            .unwrap_or_else(|_| {
                Err(AccessError::Unauthenticated(
                    "authentication could not be completed".to_owned(),
                ))
            })
    }
}

/// The client's address, the key failed authentications are limited by.
fn client_of(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|a| a.ip().to_string())
}

/// The stated purpose (empty when none), or why the header is unacceptable.
fn purpose_of(req: &HttpRequest) -> Result<String, &'static str> {
    let Some(value) = req.headers().get(PURPOSE_HEADER) else {
        return Ok(String::new());
    };
    match value.to_str() {
        Ok(v) if v.trim().chars().count() <= 200 => Ok(v.trim().to_owned()),
        _ => Err("`X-Toex-Purpose` must be printable text of at most 200 characters"),
    }
}

/// The Content-Security-Policy of every response: scripts, styles, media and
/// connections from this origin only (GraphiQL's and the web client's assets are served
/// here), no inline script, no plugins, no framing by other sites. Inline styles stay
/// allowed: React and GraphiQL set `style` attributes.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; \
     font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Headers every response carries: the CSP, no MIME sniffing, no framing by other sites,
/// no referrer sent onwards.
pub fn hardening_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::REFERRER_POLICY, "no-referrer"))
}

/// Most operations accepted in one batched request.
pub const MAX_BATCH: usize = 10;

/// Where the built web client lives.
#[derive(Clone)]
pub struct WebDir(pub PathBuf);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/graphql", web::post().to(graphql))
        .route("/graphql", web::get().to(graphql_get))
        .route("/graphiql/toex-graphiql.js", web::get().to(graphiql_script))
        .route("/graphql/ws", web::get().to(graphql_ws))
        .route("/media/{id}", web::get().to(crate::media::original))
        .route("/exports/{id}", web::get().to(crate::media::export))
        .route("/media/{id}/page/{page}", web::get().to(crate::media::page))
        .route("/", web::get().to(index));
    // Resolved per request, so a web client built after start-up is picked up.
    cfg.default_service(web::to(static_file));
}

/// Up or degraded for anyone (load balancers, monitors); the version, Neo4j's state,
/// the index and the models only for a caller with valid credentials.
async fn health(
    services: web::Data<Services>,
    gate: web::Data<Gate>,
    req: HttpRequest,
) -> HttpResponse {
    let health = toex_schema::health(&services);
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut response = HttpResponse::Ok();
    response.insert_header(header::CacheControl(vec![header::CacheDirective::NoStore]));
    if header.is_some() && gate.authenticate(header, client_of(&req)).await.is_ok() {
        response.json(health)
    } else {
        response.json(serde_json::json!({ "status": health.status }))
    }
}

/// Executes a GraphQL request (JSON, batched JSON or multipart). The media types are
/// checked first (406, 415); the body is read only once the caller is authenticated and
/// within their rate, and only up to `server.max_body_bytes` (413 above it); a batch
/// holds at most [`MAX_BATCH`].
async fn graphql(
    schema: web::Data<ToexSchema>,
    gate: web::Data<Gate>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let Some(answer) = http::negotiate(http::accept_of(&req)) else {
        gate.refused(None, "", "not acceptable");
        return not_acceptable();
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Err(why) = http::check_request_type(content_type.as_deref()) {
        gate.refused(None, "", "unsupported media type");
        let status = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return http::refusal(answer, status, ErrorCode::BadInput, &why);
    }
    let (principal, purpose) = match admit(&gate, &req, answer).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let body = match read_body(&req, payload, gate.max_body).await {
        Ok(body) => body,
        Err(refusal) => {
            gate.refused(Some(&principal), &purpose, refusal.why());
            return refusal.response(answer, gate.max_body);
        }
    };
    let batch = match async_graphql::http::receive_batch_body(
        content_type,
        body.as_ref(),
        MultipartOptions::default(),
    )
    .await
    {
        Ok(batch) => batch,
        Err(err) => {
            gate.refused(Some(&principal), &purpose, "malformed request");
            return request_error(answer, &format!("malformed GraphQL request: {err}"));
        }
    };
    if let BatchRequest::Batch(ops) = &batch
        && ops.len() > MAX_BATCH
    {
        gate.refused(Some(&principal), &purpose, "batch too large");
        return request_error(
            answer,
            &format!(
                "a batch may hold at most {MAX_BATCH} operations, got {}",
                ops.len()
            ),
        );
    }
    execute(&schema, &gate, batch, principal, purpose, answer).await
}

/// GET `/graphql`: GraphiQL for a browser (or when no `query` is given); a query's result
/// for an API client, under the same gate as POST. Mutations and subscriptions answer 405:
/// a GET must never change anything.
async fn graphql_get(
    schema: web::Data<ToexSchema>,
    gate: web::Data<Gate>,
    req: HttpRequest,
) -> HttpResponse {
    let accept = http::accept_of(&req);
    let has_query =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .is_ok_and(|q| q.contains_key("query"));
    if !has_query || http::wants_html(accept) {
        return graphiql();
    }
    let Some(answer) = http::negotiate(accept) else {
        gate.refused(None, "", "not acceptable");
        return not_acceptable();
    };
    let request = match http::get_request(req.query_string()) {
        Ok(request) => request,
        Err(why) => return request_error(answer, &why),
    };
    if let Some(kind) = http::forbidden_over_get(&request.query, request.operation_name.as_deref())
    {
        gate.refused(None, "", "mutation over GET");
        let mut response = http::refusal(
            answer,
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadInput,
            &format!("a {kind} must be sent with POST; GET runs queries only"),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return response;
    }
    let (principal, purpose) = match admit(&gate, &req, answer).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    execute(&schema, &gate, request.into(), principal, purpose, answer).await
}

/// The purpose, the caller (authenticated) and their rate: the gate every GraphQL
/// request passes, whichever method it came by.
async fn admit(
    gate: &Gate,
    req: &HttpRequest,
    answer: http::Answer,
) -> Result<(Principal, String), HttpResponse> {
    let purpose = match purpose_of(req) {
        Ok(p) => p,
        Err(why) => {
            gate.refused(None, "", "bad purpose header");
            return Err(http::refusal(
                answer,
                StatusCode::BAD_REQUEST,
                ErrorCode::BadInput,
                why,
            ));
        }
    };
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let principal = match gate.authenticate(header, client_of(req)).await {
        Ok(p) => p,
        Err(err @ AccessError::RateLimited { .. }) => {
            gate.refused(None, &purpose, "authentication attempts limited");
            return Err(too_many(answer, &err.to_string(), "6"));
        }
        Err(err) => {
            gate.refused(None, &purpose, "unauthenticated");
            return Err(http::refusal(
                answer,
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                &err.to_string(),
            ));
        }
    };
    if let Err(err) = gate.limiter.check(&principal.user) {
        gate.refused(Some(&principal), &purpose, "rate limited");
        return Err(too_many(answer, &err.to_string(), "1"));
    }
    Ok((principal, purpose))
}

/// 429 `RATE_LIMITED`, to be retried after `seconds`.
fn too_many(answer: http::Answer, message: &str, seconds: &'static str) -> HttpResponse {
    let mut response = http::refusal(
        answer,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        message,
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_static(seconds),
    );
    response
}

/// Runs an admitted request under the time limit and answers in the negotiated type.
async fn execute(
    schema: &ToexSchema,
    gate: &Gate,
    batch: BatchRequest,
    principal: Principal,
    purpose: String,
    answer: http::Answer,
) -> HttpResponse {
    let batch = if purpose.is_empty() {
        batch.data(principal.clone())
    } else {
        batch.data(principal.clone()).data(Purpose(purpose.clone()))
    };
    match tokio::time::timeout(gate.timeout, schema.execute_batch(batch)).await {
        Ok(response) => http::respond(answer, response),
        Err(_) => {
            gate.refused(Some(&principal), &purpose, "timed out");
            http::refusal(
                answer,
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Timeout,
                &format!(
                    "the request ran longer than {} ms and was stopped; narrow it and retry",
                    gate.timeout.as_millis()
                ),
            )
        }
    }
}

/// 406: the caller accepts neither JSON media type.
fn not_acceptable() -> HttpResponse {
    http::refusal(
        http::Answer::Json,
        StatusCode::NOT_ACCEPTABLE,
        ErrorCode::BadInput,
        "GraphQL answers in application/json or application/graphql-response+json; \
         accept one of them",
    )
}

/// Why a body was not read.
enum BodyRefusal {
    TooLarge,
    Broken,
}

impl BodyRefusal {
    fn why(&self) -> &'static str {
        match self {
            BodyRefusal::TooLarge => "body too large",
            BodyRefusal::Broken => "body unreadable",
        }
    }

    fn response(&self, answer: http::Answer, limit: usize) -> HttpResponse {
        match self {
            BodyRefusal::TooLarge => http::refusal(
                answer,
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BadInput,
                &format!("the request body is larger than {limit} bytes"),
            ),
            BodyRefusal::Broken => request_error(answer, "the request body could not be read"),
        }
    }
}

/// The body, at most `limit` bytes: a `Content-Length` over it is refused before a byte
/// is read, and a body that grows past it as soon as it does.
async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, BodyRefusal> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyRefusal::TooLarge);
    }
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(_)) => Err(BodyRefusal::Broken),
        Err(_) => Err(BodyRefusal::TooLarge),
    }
}

/// A request-level error in GraphQL's response shape.
fn request_error(answer: http::Answer, message: &str) -> HttpResponse {
    http::refusal(
        answer,
        StatusCode::BAD_REQUEST,
        ErrorCode::BadInput,
        message,
    )
}

/// A refusal before the schema runs, with its code from the one table (`ErrorCode`).
pub(crate) fn error_response(
    mut builder: actix_web::HttpResponseBuilder,
    code: ErrorCode,
    message: &str,
) -> HttpResponse {
    builder.json(http::error_body(code, message))
}

/// A WebSocket's credentials, checked again before each operation (with the caller's
/// rate) and each event, so revoking a token, its expiry or disabling its user ends what
/// runs on an open socket; each query or mutation on it runs under a POST's time limit.
struct WsSession {
    gate: Arc<Gate>,
    header: Option<String>,
    client: Option<String>,
    user: String,
}

impl SessionCheck for WsSession {
    fn start_operation(&self) -> Result<(), ApiError> {
        self.still_valid()?;
        Ok(self.gate.limiter.check(&self.user)?)
    }

    fn time_limit(&self) -> Option<Duration> {
        Some(self.gate.timeout)
    }

    fn still_valid(&self) -> Result<(), ApiError> {
        // Tokens verified once are cached: no argon2 here, only the store's state.
        let auth = &self.gate.auth;
        match auth.authenticate_from(self.header.as_deref(), self.client.as_deref()) {
            Ok(p) if p.user == self.user => Ok(()),
            Ok(_) => Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "the session's credentials now name another user",
            )),
            Err(err) => Err(err.into()),
        }
    }
}

/// Subscriptions: the `connection_init` payload carries `Authorization` (`Bearer …`)
/// and `purpose`, checked as for POST, and again for each operation on the socket.
async fn graphql_ws(
    schema: web::Data<ToexSchema>,
    gate: web::Data<Gate>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    let gate = gate.into_inner();
    let client = client_of(&req);
    GraphQLSubscription::new(ToexSchema::clone(&schema))
        .on_connection_init(move |init: serde_json::Value| async move {
            let field = |k: &str| init.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            let header = field("Authorization").or_else(|| field("authorization"));
            let purpose = field("purpose").unwrap_or_default();
            let principal = match gate.authenticate(header.clone(), client.clone()).await {
                Ok(p) => p,
                Err(err) => {
                    gate.refused(None, &purpose, "unauthenticated");
                    return Err(async_graphql::Error::new(err.to_string()));
                }
            };
            gate.limiter
                .check(&principal.user)
                .map_err(|e| async_graphql::Error::new(e.to_string()))?;
            let mut data = async_graphql::Data::default();
            data.insert(Session(Arc::new(WsSession {
                gate: gate.clone(),
                header,
                client,
                user: principal.user.clone(),
            })));
            data.insert(principal);
            if !purpose.trim().is_empty() {
                data.insert(Purpose(purpose.chars().take(200).collect()));
            }
            Ok(data)
        })
        .start(&req, payload)
}

/// GraphiQL, served from local assets so it works on networks with no internet.
fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GRAPHIQL_HTML)
}

const GRAPHIQL_HTML: &str = include_str!("graphiql.html");

/// GraphiQL's set-up, a script file so the page runs under a CSP with no inline script.
async fn graphiql_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(GRAPHIQL_JS)
}

const GRAPHIQL_JS: &str = include_str!("graphiql.js");

async fn index(web_dir: web::Data<WebDir>, req: HttpRequest) -> HttpResponse {
    let index = web_dir.0.join("index.html");
    match NamedFile::open_async(&index).await {
        Ok(file) => file.into_response(&req),
        Err(_) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(
                "<!doctype html><title>toex</title><h1>toex</h1>\
                 <p>The web client is not built here. Use <a href=\"/graphql\">GraphiQL</a>.</p>",
            ),
    }
}

async fn static_file(web_dir: web::Data<WebDir>, req: HttpRequest) -> HttpResponse {
    let rel = req.path().trim_start_matches('/');
    // Refuse anything that could leave the web directory.
    if rel
        .split('/')
        .any(|part| part == ".." || part.starts_with('.'))
        || rel.contains('\\')
    {
        return HttpResponse::NotFound().finish();
    }
    match NamedFile::open_async(web_dir.0.join(rel)).await {
        Ok(file) if file.metadata().is_file() => file.into_response(&req),
        _ => HttpResponse::NotFound().finish(),
    }
}

/// Logs one structured line per request.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let response = next.call(req).await?;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
        "request"
    );
    Ok(response)
}
