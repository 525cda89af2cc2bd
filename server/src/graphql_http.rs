//! GraphQL over HTTP as its spec has it: the response media type negotiated from
//! `Accept` (`application/json`, or `application/graphql-response+json` with its status
//! codes), the request media types a POST may use, and GET for queries only.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchResponse, Response};
use serde_json::{Map, Value};
use toex_schema::ErrorCode;

/// The media type the spec introduced for GraphQL responses, with its status codes.
pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// How a response is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `application/json`: 200 for every well-formed request, errors in the body.
    Json,
    /// `application/graphql-response+json`: a request error (no `data`) answers 400.
    GraphqlResponse,
}

impl Answer {
    fn content_type(self) -> &'static str {
        match self {
            Answer::Json => "application/json; charset=utf-8",
            Answer::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }
}

/// The response media type for an `Accept` header: `application/json` when it is
/// absent, empty or a wildcard; the acceptable type of highest quality otherwise (the
/// first listed on a tie); `None` when neither is acceptable (406).
pub fn negotiate(accept: Option<&str>) -> Option<Answer> {
    let accept = accept.map(str::trim).unwrap_or("");
    if accept.is_empty() {
        return Some(Answer::Json);
    }
    let mut best: Option<(f32, Answer)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let answer = match essence.as_str() {
            GRAPHQL_RESPONSE_JSON => Answer::GraphqlResponse,
            "application/json" | "application/*" | "*/*" => Answer::Json,
            _ => continue,
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, answer));
        }
    }
    best.map(|(_, answer)| answer)
}

/// Whether `accept` asks for a page (a browser opening `/graphql`) rather than a result.
pub fn wants_html(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.to_ascii_lowercase().contains("text/html"))
}

/// Checks a POST's `Content-Type`: JSON (UTF-8) or multipart (uploads). The error is the
/// message of a 415.
pub fn check_request_type(content_type: Option<&str>) -> Result<(), String> {
    let Some(content_type) = content_type.filter(|c| !c.trim().is_empty()) else {
        return Err("a GraphQL POST needs a Content-Type: application/json \
                    (or multipart/form-data to upload files)"
            .to_owned());
    };
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" && essence != "multipart/form-data" {
        return Err(format!(
            "Content-Type {essence} is not accepted: send application/json \
             (or multipart/form-data to upload files)"
        ));
    }
    for param in parts {
        if let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
        {
            let charset = value.trim().trim_matches('"');
            if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("utf8") {
                return Err(format!("charset {charset} is not accepted: send UTF-8"));
            }
        }
    }
    Ok(())
}

/// The parameters of a GET, as the spec names them.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: String,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// The request a GET's query string holds (`variables` and `extensions` JSON-encoded);
/// the error says what is wrong with it.
pub fn get_request(query_string: &str) -> Result<async_graphql::Request, String> {
    let params = actix_web::web::Query::<GetParams>::from_query(query_string)
        .map_err(|e| format!("malformed GraphQL request: {e}"))?
        .into_inner();
    let json = |what: &str, text: Option<String>| -> Result<Option<Value>, String> {
        text.filter(|t| !t.is_empty())
            .map(|t| serde_json::from_str::<Value>(&t))
            .transpose()
            .map_err(|e| format!("`{what}` is not JSON: {e}"))
    };
    let mut request = async_graphql::Request::new(params.query);
    if let Some(name) = params.operation_name.filter(|n| !n.is_empty()) {
        request = request.operation_name(name);
    }
    match json("variables", params.variables)? {
        None | Some(Value::Null) => {}
        Some(v @ Value::Object(_)) => {
            request = request.variables(async_graphql::Variables::from_json(v));
        }
        Some(_) => return Err("`variables` must be a JSON object".to_owned()),
    }
    match json("extensions", params.extensions)? {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let v = async_graphql::Value::from_json(v)
                    .map_err(|e| format!("`extensions.{k}`: {e}"))?;
                request.extensions.insert(k, v);
            }
        }
        Some(_) => return Err("`extensions` must be a JSON object".to_owned()),
    }
    Ok(request)
}

/// What a GET may not run: the operation a GET asks for, when it is a mutation or a
/// subscription (405). A document that does not parse, or names no operation it holds,
/// is left to the schema, which reports it as a request error.
pub fn forbidden_over_get(query: &str, operation_name: Option<&str>) -> Option<OperationType> {
    let document = async_graphql::parser::parse_query(query).ok()?;
    let ty = match &document.operations {
        DocumentOperations::Single(op) => op.node.ty,
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(name) => ops.iter().find(|(n, _)| n.as_str() == name)?.1.node.ty,
            None if ops.len() == 1 => ops.values().next()?.node.ty,
            None => return None,
        },
    };
    (ty != OperationType::Query).then_some(ty)
}

/// The HTTP response for an executed request (or batch).
pub fn respond(answer: Answer, response: BatchResponse) -> HttpResponse {
    let (status, body, cache) = match response {
        BatchResponse::Single(r) => {
            let cache = r.is_ok().then(|| r.cache_control.value()).flatten();
            let (request_error, body) = body_of(r);
            let status = if answer == Answer::GraphqlResponse && request_error {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            (status, body, cache)
        }
        BatchResponse::Batch(rs) => (
            StatusCode::OK,
            Value::Array(rs.into_iter().map(|r| body_of(r).1).collect()),
            None,
        ),
    };
    let mut builder = HttpResponse::build(status);
    builder.content_type(answer.content_type());
    if let Some(cache) = cache {
        builder.insert_header((header::CACHE_CONTROL, cache));
    }
    builder.body(body.to_string())
}

/// A refusal before the schema runs, in the negotiated media type, with its code from
/// the one table (`ErrorCode`).
pub fn refusal(answer: Answer, status: StatusCode, code: ErrorCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(answer.content_type())
        .body(error_body(code, message).to_string())
}

/// The error body every refusal shares.
pub fn error_body(code: ErrorCode, message: &str) -> Value {
    serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code.as_str() } }]
    })
}

/// An error raised before execution (parse, validation, variables, a refused request):
/// no data and no error with a path.
fn is_request_error(r: &Response) -> bool {
    r.data == async_graphql::Value::Null
        && !r.errors.is_empty()
        && r.errors.iter().all(|e| e.path.is_empty())
}

/// Whether the response is a request error, and its JSON (a request error has no `data`
/// entry at all).
fn body_of(r: Response) -> (bool, Value) {
    let request_error = is_request_error(&r);
    let mut out = Map::new();
    if !request_error {
        out.insert("data".to_owned(), r.data.into_json().unwrap_or(Value::Null));
    }
    if !r.errors.is_empty() {
        out.insert(
            "errors".to_owned(),
            serde_json::to_value(&r.errors).unwrap_or(Value::Null),
        );
    }
    if !r.extensions.is_empty() {
        out.insert(
            "extensions".to_owned(),
            serde_json::to_value(&r.extensions).unwrap_or(Value::Null),
        );
    }
    (request_error, Value::Object(out))
}

/// The `Accept` header of a request.
pub fn accept_of(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_the_spec() {
        assert_eq!(negotiate(None), Some(Answer::Json));
        assert_eq!(negotiate(Some("")), Some(Answer::Json));
        assert_eq!(negotiate(Some("*/*")), Some(Answer::Json));
        assert_eq!(negotiate(Some("application/json")), Some(Answer::Json));
        assert_eq!(
            negotiate(Some("application/graphql-response+json")),
            Some(Answer::GraphqlResponse)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(Answer::GraphqlResponse)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(Answer::Json)
        );
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }

    #[test]
    fn only_json_and_multipart_in_utf_8_are_accepted() {
        assert!(check_request_type(Some("application/json")).is_ok());
        assert!(check_request_type(Some("application/json; charset=utf-8")).is_ok());
        assert!(check_request_type(Some("Application/JSON; charset=\"UTF-8\"")).is_ok());
        assert!(check_request_type(Some("multipart/form-data; boundary=x")).is_ok());
        assert!(check_request_type(None).is_err());
        assert!(check_request_type(Some("text/plain")).is_err());
        assert!(check_request_type(Some("application/x-www-form-urlencoded")).is_err());
        assert!(check_request_type(Some("application/json; charset=latin1")).is_err());
    }

    #[test]
    fn a_get_reads_the_spec_parameter_names() {
        let r = get_request(
            "query=query%20A%20%7B%20a%20%7D&operationName=A&variables=%7B%22n%22%3A1%7D",
        )
        .unwrap();
        assert_eq!(r.operation_name.as_deref(), Some("A"));
        assert_eq!(r.variables.into_value().to_string(), "{n: 1}");
        assert!(get_request("query=x&variables=5").is_err());
        assert!(get_request("query=x&variables=%7B").is_err());
        assert!(get_request("operationName=A").is_err());
    }

    #[test]
    fn a_get_may_run_queries_only() {
        assert_eq!(forbidden_over_get("{ health { status } }", None), None);
        assert_eq!(
            forbidden_over_get("mutation { x }", None),
            Some(OperationType::Mutation)
        );
        assert_eq!(
            forbidden_over_get("subscription { x }", None),
            Some(OperationType::Subscription)
        );
        let two = "query A { a } mutation B { b }";
        assert_eq!(forbidden_over_get(two, Some("A")), None);
        assert_eq!(
            forbidden_over_get(two, Some("B")),
            Some(OperationType::Mutation)
        );
        assert_eq!(forbidden_over_get(two, None), None);
        assert_eq!(forbidden_over_get("{", None), None);
    }
}
