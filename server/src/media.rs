//! Originals and scanned pages behind signed URLs (minted by `Document.media` and
//! `Document.scannedPages`, which checked the caller's scope and were audited).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_files::NamedFile;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use toex_indexer::media::{MediaFile, MediaStore};
use toex_schema::{ApiError, ErrorCode, Services};

use crate::routes::error_response;

/// Most pixels of a scanned page rendered for the browser (about 1000 × 1400 for A4).
const PAGE_PIXELS: u64 = 1_500_000;

/// The query of a signed media URL (see `Document.media`).
#[derive(serde::Deserialize)]
pub(crate) struct MediaQuery {
    expires: i64,
    signature: String,
}

/// A document's original (recording, photo, scan, PDF), for URLs minted by
/// `Document.media`: the signature binds the document and the expiry. Ranges are
/// served, so players can seek.
pub(crate) async fn original(
    services: web::Data<Services>,
    req: HttpRequest,
    id: web::Path<String>,
    query: Option<web::Query<MediaQuery>>,
) -> HttpResponse {
    let Some(store) = signed(&services, &id, query) else {
        return invalid_link();
    };
    drop(store);
    match services.media(&id).await {
        Some(file) => serve(&req, &file.path, file.content_type).await,
        None => HttpResponse::NotFound().finish(),
    }
}

/// A case export, for URLs minted by `exportCase`: streamed from disk as an attachment.
pub(crate) async fn export(
    services: web::Data<Services>,
    req: HttpRequest,
    id: web::Path<String>,
    query: Option<web::Query<MediaQuery>>,
) -> HttpResponse {
    let Some(store) = signed(&services, &MediaStore::export_key(&id), query) else {
        return invalid_link();
    };
    let Some(path) = store.export(&id) else {
        return HttpResponse::NotFound().finish();
    };
    match NamedFile::open_async(&path).await {
        Ok(named) => named
            .set_content_type(
                "application/zip"
                    .parse()
                    .unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM),
            )
            .set_content_disposition(header::ContentDisposition {
                disposition: header::DispositionType::Attachment,
                parameters: vec![header::DispositionParam::Filename(format!("{id}.zip"))],
            })
            .into_response(&req),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

/// The media store, when the link's signature for `key` holds and has not expired.
fn signed(
    services: &Services,
    key: &str,
    query: Option<web::Query<MediaQuery>>,
) -> Option<MediaStore> {
    let store = services.jobs.store().media();
    let now = chrono::Utc::now().timestamp();
    query
        .is_some_and(|q| store.verify(key, q.expires, &q.signature, now))
        .then(|| store.clone())
}

fn invalid_link() -> HttpResponse {
    HttpResponse::Forbidden()
        .content_type("text/plain; charset=utf-8")
        .body("this media link is invalid or has expired; open the document again")
}

/// The file at `path` as `content_type`, privately cacheable for as long as its link
/// lives, with ranges.
async fn serve(req: &HttpRequest, path: &Path, content_type: &str) -> HttpResponse {
    match NamedFile::open_async(path).await {
        Ok(named) => {
            let mime = content_type
                .parse()
                .unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM);
            let mut response = named
                .set_content_type(mime)
                .disable_content_disposition()
                .into_response(req);
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("private, max-age=3600"),
            );
            response
        }
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

/// A scanned PDF page as a JPEG, for URLs minted by `Document.scannedPages`: rendered on
/// the CPU pool on its first request (OVERLOADED when the pool is full) and kept beside
/// the original for the next.
pub(crate) async fn page(
    services: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<(String, u32)>,
    query: Option<web::Query<MediaQuery>>,
) -> HttpResponse {
    let (id, page) = path.into_inner();
    let Some(store) = signed(&services, &MediaStore::page_key(&id, page), query) else {
        return invalid_link();
    };
    let (Some(original), Some(cached)) = (services.media(&id).await, store.page_path(&id, page))
    else {
        return HttpResponse::NotFound().finish();
    };
    if original.content_type != "application/pdf" {
        return HttpResponse::NotFound().finish();
    }
    if let Err(refusal) = render(&services, original, page, &cached).await {
        return refusal;
    }
    serve(&req, &cached, "image/jpeg").await
}

/// Renders `page` of `original` into `cached` unless it is there already, on the CPU
/// pool (through a temporary file, so a reader never sees half a page).
async fn render(
    services: &Services,
    original: MediaFile,
    page: u32,
    cached: &Path,
) -> Result<(), HttpResponse> {
    static RENDERS: AtomicU64 = AtomicU64::new(0);
    let n = RENDERS.fetch_add(1, Ordering::Relaxed);
    let cached = cached.to_path_buf();
    let rendered = services
        .cpu
        .run(move || {
            if cached.is_file() {
                return Ok(());
            }
            if let Some(folder) = cached.parent() {
                std::fs::create_dir_all(folder).map_err(|e| e.to_string())?;
            }
            let tmp = cached.with_extension(format!("{}-{n}.tmp", std::process::id()));
            let limits = toex_formats::Limits::default();
            let kept = toex_formats::render_page(&original.path, page, PAGE_PIXELS, &tmp, &limits)
                .map_err(|e| e.to_string())
                .and_then(|()| std::fs::rename(&tmp, &cached).map_err(|e| e.to_string()));
            if kept.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            kept
        })
        .await;
    match rendered {
        Ok(Ok(())) => Ok(()),
        Ok(Err(why)) => Err(error_response(
            HttpResponse::NotFound(),
            ErrorCode::NotFound,
            &format!("page {page} cannot be shown: {why}"),
        )),
        Err(pool) => {
            let err = ApiError::from(pool);
            Err(error_response(
                HttpResponse::ServiceUnavailable(),
                err.code,
                &err.message,
            ))
        }
    }
}
