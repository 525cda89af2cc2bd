//! GraphQL over HTTP conformance: the audit list of the GraphQL-over-HTTP spec (the
//! `graphql-http` audits, MUST and SHOULD), each item a check against a real toex.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const GRJ: &str = "application/graphql-response+json";

/// One exchange: the status, the response's content type and its JSON body (Null when
/// it is not JSON).
struct Reply {
    status: StatusCode,
    content_type: String,
    body: Value,
    allow: Option<String>,
}

async fn send(
    app: &TestApp,
    method: Method,
    query_string: &str,
    accept: Option<&str>,
    content_type: Option<&str>,
    body: Option<String>,
) -> Reply {
    let mut request = app
        .client
        .request(method, app.url(&format!("/graphql{query_string}")));
    // reqwest adds `Accept: */*` unless told otherwise; an empty value stands for none.
    request = request.header("accept", accept.unwrap_or(""));
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let content_type = header("content-type").unwrap_or_default();
    let allow = header("allow");
    let text = response.text().await.unwrap();
    Reply {
        status,
        content_type,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        allow,
    }
}

async fn post(app: &TestApp, accept: Option<&str>, body: &str) -> Reply {
    send(
        app,
        Method::POST,
        "",
        accept,
        Some("application/json"),
        Some(body.to_owned()),
    )
    .await
}

fn health() -> String {
    json!({ "query": "{ health { status } }" }).to_string()
}

/// Collects every failed audit so one run reports them all.
#[derive(Default)]
struct Audit(Vec<String>);

impl Audit {
    fn check(&mut self, item: &str, ok: bool, reply: &Reply) {
        if !ok {
            self.0.push(format!(
                "{item}: got {} {} {}",
                reply.status, reply.content_type, reply.body
            ));
        }
    }

    fn finish(self) {
        assert!(self.0.is_empty(), "\n{}", self.0.join("\n"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_are_in_the_media_type_the_client_accepts() {
    let app = TestApp::spawn_with_neo4j("bolt://127.0.0.1:1").await;
    let mut audit = Audit::default();
    let r = post(&app, Some("application/json"), &health()).await;
    audit.check(
        "MUST accept application/json and match the content-type",
        r.status == 200 && r.content_type.starts_with("application/json"),
        &r,
    );
    let r = post(&app, Some(GRJ), &health()).await;
    audit.check(
        "SHOULD accept application/graphql-response+json and match the content-type",
        r.status == 200 && r.content_type.starts_with(GRJ),
        &r,
    );
    let r = post(&app, Some("*/*"), &health()).await;
    audit.check(
        "SHOULD accept */* and use application/json for the content-type",
        r.content_type.starts_with("application/json"),
        &r,
    );
    let r = post(&app, None, &health()).await;
    audit.check(
        "SHOULD assume application/json content-type when accept is missing",
        r.content_type.starts_with("application/json"),
        &r,
    );
    for accept in ["application/json", GRJ] {
        let r = post(&app, Some(accept), &health()).await;
        audit.check(
            "MUST use utf-8 encoding when responding",
            r.content_type
                .to_ascii_lowercase()
                .contains("charset=utf-8"),
            &r,
        );
    }
    let r = post(&app, Some("text/html"), &health()).await;
    audit.check(
        "SHOULD answer 406 when neither JSON media type is acceptable",
        r.status == 406,
        &r,
    );
    audit.finish();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_must_come_as_utf_8_json_or_multipart() {
    let app = TestApp::spawn_with_neo4j("bolt://127.0.0.1:1").await;
    let mut audit = Audit::default();
    for ct in ["application/json", "application/json; charset=utf-8"] {
        let r = send(
            &app,
            Method::POST,
            "",
            Some("application/json"),
            Some(ct),
            Some(health()),
        )
        .await;
        audit.check(
            &format!("MUST accept utf-8 encoded request ({ct})"),
            r.status == 200 && r.body["data"]["health"]["status"].is_string(),
            &r,
        );
    }
    let r = send(
        &app,
        Method::POST,
        "",
        Some("application/json"),
        None,
        Some(health()),
    )
    .await;
    audit.check(
        "SHOULD respond with 4xx status code if content-type is not supplied on POST",
        r.status == 415,
        &r,
    );
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin1",
    ] {
        let r = send(
            &app,
            Method::POST,
            "",
            Some("application/json"),
            Some(ct),
            Some(health()),
        )
        .await;
        audit.check(
            &format!("SHOULD refuse a content type it does not read ({ct}) with 415"),
            r.status == 415 && r.body["errors"][0]["extensions"]["code"] == "BAD_INPUT",
            &r,
        );
    }
    let r = send(
        &app,
        Method::POST,
        "",
        Some(GRJ),
        Some("application/json"),
        None,
    )
    .await;
    audit.check(
        "MUST require a request body on POST (400)",
        r.status == 400 && r.body.get("data").is_none(),
        &r,
    );
    audit.finish();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_errors_answer_400_without_data_under_graphql_response_json() {
    let app = TestApp::spawn_with_neo4j("bolt://127.0.0.1:1").await;
    let mut audit = Audit::default();
    let cases = [
        ("JSON parsing failure", "{\"query\": \"{ health".to_owned()),
        ("{query} parameter missing", json!({ "notquery": "{ health { status } }" }).to_string()),
        ("{query} parameter is an object", json!({ "query": { "a": 1 } }).to_string()),
        ("{query} parameter is a number", json!({ "query": 1 }).to_string()),
        ("{query} parameter is a boolean", json!({ "query": true }).to_string()),
        ("{query} parameter is an array", json!({ "query": ["{ health { status } }"] }).to_string()),
        ("{operationName} is a number", json!({ "query": "{ health { status } }", "operationName": 1 }).to_string()),
        ("{variables} is a string", json!({ "query": "{ health { status } }", "variables": "x" }).to_string()),
        ("{variables} is a number", json!({ "query": "{ health { status } }", "variables": 1 }).to_string()),
        ("{extensions} is a string", json!({ "query": "{ health { status } }", "extensions": "x" }).to_string()),
        ("document parsing failure", json!({ "query": "{" }).to_string()),
        ("document validation failure", json!({ "query": "{ noSuchField }" }).to_string()),
        (
            "variable coercion failure",
            json!({ "query": "query($n: Int!) { ingestJobs(first: $n) { id } }", "variables": { "n": "many" } }).to_string(),
        ),
    ];
    for (what, body) in &cases {
        let r = post(&app, Some(GRJ), body).await;
        audit.check(
            &format!("SHOULD use 400 status code on {what}"),
            r.status == 400,
            &r,
        );
        audit.check(
            &format!("SHOULD not contain the data entry on {what}"),
            r.body.get("data").is_none() && r.body["errors"][0]["message"].is_string(),
            &r,
        );
        audit.check(
            &format!("MUST match the content-type on {what}"),
            r.content_type.starts_with(GRJ),
            &r,
        );
    }
    // Optional parameters may be null.
    let r = post(
        &app,
        Some(GRJ),
        &json!({ "query": "{ health { status } }", "operationName": null, "variables": null, "extensions": null }).to_string(),
    )
    .await;
    audit.check(
        "MAY allow {operationName}, {variables} and {extensions} to be null",
        r.status == 200 && r.body["data"]["health"]["status"].is_string(),
        &r,
    );
    let r = post(
        &app,
        Some(GRJ),
        &json!({ "query": "query($n: Int!) { ingestJobs(first: $n) { id } }", "variables": { "n": 1 } }).to_string(),
    )
    .await;
    audit.check(
        "SHOULD allow map {variables} parameter",
        r.status == 200 && r.body["data"]["ingestJobs"].is_array(),
        &r,
    );
    audit.finish();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn well_formed_requests_answer_200_under_application_json() {
    let app = TestApp::spawn_with_neo4j("bolt://127.0.0.1:1").await;
    let mut audit = Audit::default();
    for (what, query, variables) in [
        ("document parsing failure", "{", json!({})),
        ("document validation failure", "{ noSuchField }", json!({})),
        (
            "variable coercion failure",
            "query($n: Int!) { ingestJobs(first: $n) { id } }",
            json!({ "n": "many" }),
        ),
    ] {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let r = post(&app, Some("application/json"), &body).await;
        audit.check(
            &format!("SHOULD use 200 status code on {what} when accepting application/json"),
            r.status == 200
                && r.body["errors"][0]["message"].is_string()
                && r.body.get("data").is_none(),
            &r,
        );
    }
    let r = post(&app, Some("application/json"), "{\"query\": \"{ health").await;
    audit.check(
        "SHOULD use 4xx or 5xx status codes on JSON parsing failure",
        r.status.is_client_error(),
        &r,
    );
    audit.finish();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_runs_queries_and_refuses_mutations_with_405() {
    let app = TestApp::spawn().await;
    let mut audit = Audit::default();
    let q = |s: &str| format!("?query={}", urlencode(s));
    let r = send(
        &app,
        Method::GET,
        &q("{ health { status } }"),
        Some("application/json"),
        None,
        None,
    )
    .await;
    audit.check(
        "MAY accept application/x-www-form-urlencoded formatted GET requests",
        r.status == 200 && r.body["data"]["health"]["status"].is_string(),
        &r,
    );
    let r = send(
        &app,
        Method::GET,
        &q("{ health { status } }"),
        Some(GRJ),
        None,
        None,
    )
    .await;
    audit.check(
        "a GET answers in the media type asked for",
        r.status == 200 && r.content_type.starts_with(GRJ),
        &r,
    );
    let mutation =
        "mutation { ingestText(input: { title: \"x\", text: \"y\", force: \"WYP\" }) { id } }";
    for accept in ["application/json", GRJ] {
        let r = send(&app, Method::GET, &q(mutation), Some(accept), None, None).await;
        audit.check(
            &format!("MAY NOT allow executing mutations on GET requests ({accept})"),
            r.status == 405 && r.allow.as_deref() == Some("POST"),
            &r,
        );
    }
    let named = format!(
        "{}&operationName=Change",
        q(
            "query Look { health { status } } mutation Change { ingestText(input: { title: \"x\", text: \"y\", force: \"WYP\" }) { id } }"
        )
    );
    let r = send(
        &app,
        Method::GET,
        &named,
        Some("application/json"),
        None,
        None,
    )
    .await;
    audit.check(
        "a GET naming the mutation of a document with a query is refused",
        r.status == 405,
        &r,
    );
    let r = send(
        &app,
        Method::GET,
        &q("subscription { health { status } }"),
        Some("application/json"),
        None,
        None,
    )
    .await;
    audit.check("a subscription over GET is refused", r.status == 405, &r);
    // Nothing was written by the refused GETs.
    let found = app
        .graphql("{ search(queryText: \"y\") { total } }", json!({}))
        .await;
    assert_eq!(found["data"]["search"]["total"], 0, "{found}");
    // A browser opening the endpoint gets GraphiQL, with or without a query.
    let page = send(
        &app,
        Method::GET,
        &q("{ health { status } }"),
        Some("text/html,*/*;q=0.8"),
        None,
        None,
    )
    .await;
    audit.check(
        "a browser is served GraphiQL",
        page.status == 200 && page.content_type.starts_with("text/html"),
        &page,
    );
    audit.finish();
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
