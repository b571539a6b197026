//! The demo's own fault buttons (`--demo-faults`): they need the login cookie and touch only the
//! caller's own login session, while the test controls stay unmounted.

mod common;

use common::{close_code, recv, send, TestServer, ORIGIN};
use serde_json::{json, Value};

async fn fault(server: &TestServer, cookie: Option<&str>, kind: &str) -> u16 {
    let mut request = server.http.post(server.url("/api/demo/fault")).header("Origin", ORIGIN);
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    request.json(&json!({"kind": kind})).send().await.unwrap().status().as_u16()
}

async fn socket_of(server: &TestServer, cookie: &str) -> common::Socket {
    let body: Value = server.token_response(Some(cookie), Some(ORIGIN)).await.json().await.unwrap();
    let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut socket, json!({"type": "auth", "token": body["wsToken"]})).await;
    assert_eq!(recv(&mut socket).await["success"], true);
    socket
}

#[tokio::test]
async fn demo_faults_need_a_login_and_touch_only_the_callers_own_sockets() {
    let server = TestServer::start_with(|c| {
        c.test_controls = false;
        c.demo_faults = true;
    })
    .await;
    assert_eq!(fault(&server, None, "kill_connection").await, 401);
    let (_, alice) = server.login("alice", "alice-pass").await;
    let (_, bob) = server.login("bob", "bob-pass").await;
    let mut alices = socket_of(&server, &alice).await;
    let mut bobs = socket_of(&server, &bob).await;
    assert_eq!(fault(&server, Some(&alice), "kill_connection").await, 204);
    assert_eq!(close_code(&mut alices).await, 1012);
    send(&mut bobs, json!({"type": "echo", "still": "here"})).await;
    assert_eq!(recv(&mut bobs).await["still"], "here", "bob's socket is untouched");

    assert_eq!(fault(&server, Some(&alice), "reject_next_auth").await, 204);
    let body: Value = server.token_response(Some(&alice), Some(ORIGIN)).await.json().await.unwrap();
    let mut rejected = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut rejected, json!({"type": "auth", "token": body["wsToken"]})).await;
    assert_eq!(recv(&mut rejected).await["success"], false);
    assert_eq!(close_code(&mut rejected).await, 4003);
    socket_of(&server, &alice).await;
    socket_of(&server, &bob).await;

    // A resume offer ignored once, on alice's next authentication only: at most once, then
    // resumable again.
    let offer = async |cookie: &str| {
        let body: Value = server.token_response(Some(cookie), Some(ORIGIN)).await.json().await.unwrap();
        let mut socket = server.connect(Some(ORIGIN)).await.unwrap();
        let resume = json!({"sessionId": null, "lastSeq": 0});
        send(&mut socket, json!({"type": "auth", "token": body["wsToken"], "resume": resume})).await;
        let answer = recv(&mut socket).await;
        assert_eq!(answer["success"], true);
        answer.get("session").is_some()
    };
    assert_eq!(fault(&server, Some(&alice), "ignore_next_resume").await, 204);
    assert!(offer(&bob).await, "bob's offer is not alice's to ignore");
    assert!(!offer(&alice).await, "the offer is ignored: no session granted");
    assert!(offer(&alice).await, "only the next one");
    assert!(offer(&bob).await);
    // An authentication refused first (here by the other fault) leaves it for the next one.
    assert_eq!(fault(&server, Some(&alice), "ignore_next_resume").await, 204);
    assert_eq!(fault(&server, Some(&alice), "reject_next_auth").await, 204);
    let body: Value = server.token_response(Some(&alice), Some(ORIGIN)).await.json().await.unwrap();
    let mut refused = server.connect(Some(ORIGIN)).await.unwrap();
    send(&mut refused, json!({"type": "auth", "token": body["wsToken"]})).await;
    assert_eq!(recv(&mut refused).await["success"], false);
    assert!(!offer(&alice).await, "the refused authentication did not take the fault");

    assert_eq!(fault(&server, Some(&alice), "make_admin").await, 422, "only the demo's kinds");
    let controls = server.post("/test/close", json!({"code": 1000})).await;
    assert_eq!(controls.status(), 404, "the test controls are not mounted in the demo");
}
