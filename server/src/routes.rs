//! HTTP routes: GraphQL over POST, GraphiQL on GET, subscriptions over WebSocket,
//! `/health`, and the web client's static files.

use std::path::PathBuf;
use std::time::Instant;

use actix_files::NamedFile;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, Responder, web};
use async_graphql::BatchRequest;
use async_graphql::http::MultipartOptions;
use async_graphql_actix_web::{GraphQLResponse, GraphQLSubscription};
use toex_schema::{Services, ToexSchema};

/// Most operations accepted in one batched request.
pub const MAX_BATCH: usize = 10;

/// Where the built web client lives.
#[derive(Clone)]
pub struct WebDir(pub PathBuf);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/graphql", web::post().to(graphql))
        .route("/graphql", web::get().to(graphiql))
        .route("/graphql/ws", web::get().to(graphql_ws))
        .route("/", web::get().to(index));
    // Resolved per request, so a web client built after start-up is picked up.
    cfg.default_service(web::to(static_file));
}

async fn health(services: web::Data<Services>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(header::CacheControl(vec![header::CacheDirective::NoStore]))
        .json(services.health())
}

/// Executes a GraphQL request (JSON, batched JSON or multipart). The body is bounded by
/// `server.max_body_bytes` (actix answers 413 above it) and a batch by [`MAX_BATCH`].
async fn graphql(
    schema: web::Data<ToexSchema>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let batch = match async_graphql::http::receive_batch_body(
        content_type,
        body.as_ref(),
        MultipartOptions::default(),
    )
    .await
    {
        Ok(batch) => batch,
        Err(err) => return request_error(&format!("malformed GraphQL request: {err}")),
    };
    if let BatchRequest::Batch(ops) = &batch
        && ops.len() > MAX_BATCH
    {
        return request_error(&format!(
            "a batch may hold at most {MAX_BATCH} operations, got {}",
            ops.len()
        ));
    }
    let response = schema.execute_batch(batch).await;
    GraphQLResponse::from(response)
        .respond_to(&req)
        .map_into_boxed_body()
}

/// A request-level error in GraphQL's response shape.
fn request_error(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": "BAD_INPUT" } }]
    }))
}

async fn graphql_ws(
    schema: web::Data<ToexSchema>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    GraphQLSubscription::new(ToexSchema::clone(&schema)).start(&req, payload)
}

/// GraphiQL, served from local assets so it works on networks with no internet.
async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GRAPHIQL_HTML)
}

const GRAPHIQL_HTML: &str = include_str!("graphiql.html");

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
