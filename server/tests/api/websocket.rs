//! Subscriptions over `/graphql/ws` (graphql-transport-ws): credentials are checked again
//! for every operation and event, so a revoked token stops working on an open socket;
//! each query or mutation on a socket runs under the session's time limit.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use toex_access::{Role, UserStore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TEST_PURPOSE, TestApp, unique};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket past `connection_init` with `token`.
pub(crate) async fn connect(app: &TestApp, token: &str) -> Socket {
    connect_to(&app.url("/graphql/ws"), token).await
}

/// A socket to `url` (`http://…/graphql/ws`) past `connection_init` with `token`.
pub(crate) async fn connect_to(url: &str, token: &str) -> Socket {
    let url = url.replace("http://", "ws://");
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({"type": "connection_init", "payload": {
        "Authorization": format!("Bearer {token}"), "purpose": TEST_PURPOSE }});
    socket.send(Message::text(init.to_string())).await.unwrap();
    assert_eq!(next(&mut socket).await["type"], "connection_ack");
    socket
}

/// The next JSON message (pings skipped), within 30 s.
pub(crate) async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(30), socket.next())
            .await
            .expect("a message within 30 s")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(text.as_str()).unwrap();
            if value["type"] != "ping" {
                return value;
            }
        }
    }
}

pub(crate) async fn subscribe(socket: &mut Socket, id: &str, query: &str) {
    let msg = json!({"id": id, "type": "subscribe", "payload": {"query": query}});
    socket.send(Message::text(msg.to_string())).await.unwrap();
}

// Regression: over `/graphql/ws` the rate limit was checked only at connection, and a
// revoked token kept working on an open socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_stops_working_on_an_open_socket() {
    let app = TestApp::spawn().await;
    let name = unique("ws");
    let mut store = UserStore::open(&app.users).unwrap();
    store
        .add_user(&name, Role::Analyst, &["WYP".to_owned()], &[])
        .unwrap();
    let (id, token) = store.create_token(&name, "ws", None).unwrap();
    store.save().unwrap();

    let mut socket = connect(&app, &token).await;
    subscribe(&mut socket, "1", "{ health { status } }").await;
    let first = next(&mut socket).await;
    assert_eq!(first["type"], "next", "{first}");
    assert!(
        first["payload"]["data"]["health"]["status"].is_string(),
        "{first}"
    );
    assert_eq!(next(&mut socket).await["type"], "complete");
    subscribe(
        &mut socket,
        "2",
        "subscription { health(everySeconds: 1) { status } }",
    )
    .await;
    assert_eq!(next(&mut socket).await["type"], "next");

    // A different length guarantees the store's change is seen even on coarse clocks.
    let mut store = UserStore::open(&app.users).unwrap();
    store.revoke_token(&id).unwrap();
    store
        .add_user(&unique("pad"), Role::Analyst, &["WYP".to_owned()], &[])
        .unwrap();
    store.save().unwrap();

    // The running subscription ends at its next event; a new operation is refused.
    let mut ended = false;
    for _ in 0..5 {
        let m = next(&mut socket).await;
        if m["type"] == "complete" {
            ended = true;
            break;
        }
        if m.to_string().contains("UNAUTHENTICATED") {
            assert_eq!(
                next(&mut socket).await["type"],
                "complete",
                "after the refusal"
            );
            ended = true;
            break;
        }
    }
    assert!(ended, "the subscription outlived its token");
    subscribe(&mut socket, "3", "{ health { status } }").await;
    let refused = next(&mut socket).await;
    assert!(
        refused.to_string().contains("UNAUTHENTICATED"),
        "an operation on a revoked token: {refused}"
    );
    app.stop().await;
}

/// A socket's session whose operations may take no time at all.
struct NoTime;

impl toex_schema::SessionCheck for NoTime {
    fn start_operation(&self) -> Result<(), toex_schema::ApiError> {
        Ok(())
    }

    fn still_valid(&self) -> Result<(), toex_schema::ApiError> {
        Ok(())
    }

    fn time_limit(&self) -> Option<std::time::Duration> {
        Some(std::time::Duration::ZERO)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_operation_past_its_time_limit_is_stopped_with_timeout() {
    let app = TestApp::spawn().await;
    let schema = toex_schema::build_schema(app.services.clone(), Default::default(), None);
    let mut data = async_graphql::Data::default();
    data.insert(toex_schema::Session(std::sync::Arc::new(NoTime)));
    // A semantic search (the query embedded on the CPU pool, milliseconds) cannot finish
    // within no time.
    let query =
        "{ search(queryText: \"a vehicle parked near a takeaway\", mode: SEMANTIC) { total } }";
    let request = crate::helpers::internal_request(query);
    let answers: Vec<async_graphql::Response> = schema
        .execute_stream_with_session_data(request, std::sync::Arc::new(data))
        .collect()
        .await;
    assert_eq!(answers.len(), 1);
    let code = answers[0].errors[0]
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .map(|c| c.to_string());
    assert_eq!(code.as_deref(), Some("\"TIMEOUT\""), "{:?}", answers[0]);
    // Without a session (a POST), the same query runs: the server limits the request.
    let plain = schema
        .execute(crate::helpers::internal_request(query))
        .await;
    assert!(plain.errors.is_empty(), "{:?}", plain.errors);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_operation_dropped_before_its_first_event_is_still_audited() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let audit = std::sync::Arc::new(
        toex_access::AuditLog::open(dir.path().join("audit.log"), &dir.path().join("audit.key"))
            .unwrap(),
    );
    let schema = toex_schema::build_schema(
        app.services.clone(),
        Default::default(),
        Some(audit.clone()),
    );
    // A semantic search embeds its query on the CPU pool; the client goes away first.
    let query =
        "{ search(queryText: \"a red van outside the chip shop\", mode: SEMANTIC) { total } }";
    let mut stream = schema.execute_stream(crate::helpers::internal_request(query));
    let cut = tokio::time::timeout(std::time::Duration::from_millis(1), stream.next()).await;
    assert!(cut.is_err(), "the search answered within a millisecond");
    drop(stream);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let entries = loop {
        let entries = audit
            .read(&toex_access::AuditQuery {
                user: None,
                from: None,
                to: None,
                limit: 10,
            })
            .unwrap();
        if !entries.is_empty() || std::time::Instant::now() > deadline {
            break entries;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].record.outcome, "ended before its first event");
    assert!(entries[0].record.query.contains("chip shop"), "{entries:?}");
    assert_eq!(entries[0].record.purpose, TEST_PURPOSE);
    app.stop().await;
}
