//! Subscriptions over `/graphql/ws` (graphql-transport-ws): credentials are checked again
//! for every operation and event, so a revoked token stops working on an open socket.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use toex_access::{Role, UserStore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TEST_PURPOSE, TestApp, unique};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket past `connection_init` with `token`.
async fn connect(app: &TestApp, token: &str) -> Socket {
    let url = app.url("/graphql/ws").replace("http://", "ws://");
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
async fn next(socket: &mut Socket) -> Value {
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

async fn subscribe(socket: &mut Socket, id: &str, query: &str) {
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
