//! Resumable sessions on the virtual clock: negotiation, numbering, acknowledgements, resend,
//! de-duplication, pacing and receipts; then a property test against a model server over a
//! lossy network, which must end with every message delivered exactly once, in order, both ways.

use std::collections::VecDeque;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::session::{no_jitter, Harness};
use crate::core::{protocol::classify, session::*, *};

pub(super) fn granted(h: &mut Harness, resumed: bool, last_seq: u64, limits: Value) {
    h.frame(json!({"type": "auth_response", "success": true, "userId": "alice",
        "session": {"id": "s1", "resumed": resumed, "lastSeq": last_seq}, "limits": limits}));
}

/// Connects and authenticates with a server that grants session `s1`.
pub(super) fn connect_resumable(h: &mut Harness, resumed: bool, last_seq: u64) -> Vec<Action<Value>> {
    h.connect_until_auth();
    granted(h, resumed, last_seq, json!({}));
    h.drain()
}

pub(super) fn app_frames(actions: &[Action<Value>]) -> Vec<(Option<u64>, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendApp { seq, message } => Some((*seq, message.clone())),
            _ => None,
        })
        .collect()
}

fn protocol_frames(actions: &[Action<Value>]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(frame) => Some(frame.text().to_owned()),
            _ => None,
        })
        .collect()
}

pub(super) fn msg(n: u64) -> String {
    format!(r#"{{"type":"m","n":{n}}}"#)
}

#[test]
fn a_server_that_ignores_the_offer_gets_the_seed_protocol_and_at_most_once() {
    let mut h = Harness::new(no_jitter());
    h.send(msg(1)).unwrap();
    let actions = h.authenticate();
    assert_eq!(app_frames(&actions), [(None, msg(1))], "not wrapped, not numbered");
    assert_eq!(h.core.delivery(), Delivery::AtMostOnce);
    assert_eq!(h.core.queued_count(), 0, "nothing kept after sending");
}

#[test]
fn a_resumable_session_numbers_messages_and_keeps_them_until_acknowledged() {
    let mut h = Harness::new(no_jitter());
    h.send(msg(1)).unwrap();
    let actions = connect_resumable(&mut h, false, 0);
    assert_eq!(h.core.delivery(), Delivery::ExactlyOnce);
    h.send(msg(2)).unwrap();
    let mut sent = app_frames(&actions);
    sent.extend(app_frames(&h.drain()));
    assert_eq!(sent, [(Some(1), msg(1)), (Some(2), msg(2))]);
    assert_eq!(h.core.queued_count(), 2, "unacknowledged messages are still owed");
    h.frame(json!({"type": "ack", "seq": 1}));
    assert_eq!(h.core.queued_count(), 1);
    h.frame(json!({"type": "ack", "seq": 2}));
    assert_eq!(h.core.queued_count(), 0);
}

#[test]
fn after_a_drop_a_resume_resends_exactly_what_the_server_missed_with_the_same_numbers() {
    let mut h = Harness::new(no_jitter());
    connect_resumable(&mut h, false, 0);
    for n in 1..=5 {
        h.send(msg(n)).unwrap();
    }
    h.drain();
    h.frame(json!({"type": "ack", "seq": 2}));
    h.closed_by_peer(1006, String::new());
    h.fire_next_timeout();
    h.drain();
    h.give_token(None);
    h.open();
    let auth = protocol_frames(&h.drain());
    assert!(auth[0].ends_with(r#""resume":{"sessionId":"s1","lastSeq":0}}"#), "{auth:?}");
    // The server got 3 before the cable was pulled, though its ack never arrived.
    granted(&mut h, true, 3, json!({}));
    let actions = h.drain();
    assert_eq!(app_frames(&actions), [(Some(4), msg(4)), (Some(5), msg(5))]);
    assert!(
        events_of(&actions).contains(&Event::Authenticated { user_id: Some("alice".into()), resumed: true })
    );
    assert!(!events_of(&actions).contains(&Event::Resync));
}

#[test]
fn a_lost_session_says_resync_and_renumbers_what_is_still_owed() {
    let config = Config { subscriptions: true, ..no_jitter() };
    let mut h = Harness::new(config);
    h.subscriptions = vec![r#"{"type":"join_room","room":"a"}"#.into()];
    connect_resumable(&mut h, false, 0);
    h.send(msg(1)).unwrap();
    h.send(msg(2)).unwrap();
    h.drain();
    h.closed_by_peer(1006, String::new());
    h.fire_next_timeout();
    h.connect_until_auth();
    h.frame(json!({"type": "auth_response", "success": true, "userId": "alice",
        "session": {"id": "s2", "resumed": false, "lastSeq": 0}}));
    let actions = h.drain();
    assert!(events_of(&actions).contains(&Event::Resync), "the app must know to reload its state");
    assert_eq!(
        app_frames(&actions),
        [(Some(1), r#"{"type":"join_room","room":"a"}"#.into()), (Some(2), msg(1)), (Some(3), msg(2))],
        "subscriptions first, then what was owed, numbered from 1 in the new session"
    );
}

#[test]
fn a_resumed_session_needs_no_subscriptions() {
    let config = Config { subscriptions: true, ..no_jitter() };
    let mut h = Harness::new(config);
    h.subscriptions = vec![r#"{"type":"join_room","room":"a"}"#.into()];
    connect_resumable(&mut h, false, 0);
    h.closed_by_peer(1006, String::new());
    h.fire_next_timeout();
    let actions = connect_resumable(&mut h, true, 1);
    assert!(app_frames(&actions).is_empty(), "the server kept the session's rooms: {actions:?}");
}

#[test]
fn server_messages_are_delivered_once_in_order_and_acknowledged_in_batches() {
    let mut h = Harness::new(no_jitter());
    connect_resumable(&mut h, false, 0);
    for seq in [1, 2, 2, 1, 3] {
        h.frame(json!({"type": "msg", "seq": seq, "data": {"type": "chat", "n": seq}}));
    }
    let actions = h.drain();
    let delivered: Vec<_> = events_of(&actions)
        .into_iter()
        .filter_map(|e| if let Event::Message(m) = e { Some(m["n"].as_u64().unwrap()) } else { None })
        .collect();
    assert_eq!(delivered, [1, 2, 3], "duplicates dropped");
    assert!(protocol_frames(&actions).is_empty(), "no ack per message");
    assert_eq!(h.fire_next_timeout(), 100);
    assert_eq!(protocol_frames(&h.drain()), [r#"{"type":"ack","seq":3}"#]);
    for seq in 4..=35 {
        h.frame(json!({"type": "msg", "seq": seq, "data": {"type": "chat"}}));
    }
    assert_eq!(protocol_frames(&h.drain()), [r#"{"type":"ack","seq":35}"#], "one ack per 32 messages");
}

#[test]
fn a_gap_in_the_server_stream_reconnects_and_resumes_from_what_was_delivered() {
    let mut h = Harness::new(no_jitter());
    connect_resumable(&mut h, false, 0);
    h.frame(json!({"type": "msg", "seq": 1, "data": {"type": "chat"}}));
    h.frame(json!({"type": "msg", "seq": 3, "data": {"type": "chat"}}));
    let actions = h.drain();
    assert_eq!(closes(&actions), [4012]);
    h.fire_next_timeout();
    h.drain();
    h.give_token(None);
    h.open();
    let auth = protocol_frames(&h.drain());
    assert!(auth[0].ends_with(r#""resume":{"sessionId":"s1","lastSeq":1}}"#), "{auth:?}");
}

#[test]
fn receipts_resolve_on_acknowledgement_and_reject_where_none_can_come() {
    let mut h = Harness::new(no_jitter());
    connect_resumable(&mut h, false, 0);
    let id = h.core.send(h.now, msg(1), true).unwrap();
    h.core.send(h.now, msg(2), false).unwrap();
    h.drain();
    h.frame(json!({"type": "ack", "seq": 2}));
    assert_eq!(events_of(&h.drain()), [Event::Delivered { through: id }]);

    let mut h = Harness::new(no_jitter());
    h.authenticate();
    let id = h.core.send(h.now, msg(1), true).unwrap();
    assert!(events_of(&h.drain()).contains(&Event::Unconfirmed(id)), "at-most-once: no pretending");
}

#[test]
fn send_reads_the_clock_only_when_a_rate_paces_it() {
    let mut h = Harness::new(no_jitter());
    assert!(!h.core.send_reads_clock(), "queued until authenticated: no clock");
    connect_resumable(&mut h, false, 0);
    assert!(!h.core.send_reads_clock(), "no advertised rate: sent at once");
    let mut h = Harness::new(no_jitter());
    h.connect_until_auth();
    granted(&mut h, false, 0, json!({"messagesPerMinute": 60}));
    assert!(h.core.send_reads_clock(), "paced: the clock decides");
}

#[test]
fn a_frame_the_core_needs_no_clock_for_behaves_the_same_with_the_last_reading() {
    // The browser driver passes its last clock reading, not a fresh one, for every frame
    // `frame_reads_clock` answers false for (Driver::frame). Two sessions in lockstep, one told
    // the true time for every frame and one told the last reading whenever the core allows it,
    // must do exactly the same: same actions, same deadlines. Unshared and leading a shared
    // connection (acknowledged on the timer), through application messages, in-order `msg`
    // frames, duplicates, acks, ack timers and finally a gap.
    for replicating in [false, true] {
        let mut fresh = Harness::new(no_jitter());
        let mut lazy = Harness::new(no_jitter());
        for h in [&mut fresh, &mut lazy] {
            if replicating {
                h.core.replicate(None);
            }
            connect_resumable(h, false, 0);
        }
        let mut last_reading = lazy.now;
        let (mut stale, mut read) = (0, 0);
        let mut seq = 0;
        for step in 0..300_u64 {
            let frame = match step % 10 {
                9 => json!({"type": "chat", "n": step}),
                7 => json!({"type": "msg", "seq": seq, "data": {"type": "again"}}),
                5 => json!({"type": "ack", "seq": 0}),
                _ => {
                    seq += 1;
                    json!({"type": "msg", "seq": seq, "data": {"type": "m", "n": seq}})
                }
            };
            let frame = if step == 299 {
                json!({"type": "msg", "seq": seq + 2, "data": {"type": "m"}})
            } else {
                frame
            };
            // 0 to 34 ms between frames: the 100 ms acknowledgement timer fires now and then.
            let gap = (step * 7) % 35;
            fresh.advance(gap);
            let end = lazy.now + gap;
            while let Some(at) = lazy.core.poll_timeout().filter(|at| *at <= end) {
                // A timer fires: the driver reads the clock for it.
                (lazy.now, last_reading) = (at, at);
                lazy.core.handle_timeout(at);
            }
            lazy.now = end;
            if lazy.core.frame_reads_clock(&classify(frame.clone()).unwrap()) {
                last_reading = lazy.now;
                read += 1;
            } else {
                stale += 1;
            }
            fresh.frame(frame.clone());
            lazy.core.handle_frame(last_reading, lazy.conn, classify(frame).unwrap());
            assert_eq!(fresh.drain(), lazy.drain(), "step {step}, replicating {replicating}");
            assert_eq!(fresh.core.poll_timeout(), lazy.core.poll_timeout(), "step {step}");
        }
        assert!(stale > 200, "most frames need no clock ({stale} did not, {read} did)");
        assert!(read > 5, "a frame that starts the ack timer or skips ahead does ({read})");
    }
}

#[test]
fn at_most_once_a_paced_backlog_leaves_the_queue_as_it_is_sent_and_is_never_sent_twice() {
    // A backlog flushed in batches that pacing cuts short, with a message too large for the server
    // among it, and a connection lost halfway: every message goes out once, in order, and the
    // queue counts exactly what has not gone out yet.
    let mut h = Harness::new(no_jitter());
    let big = format!(r#"{{"big":"{}"}}"#, "x".repeat(200));
    for n in 0..80 {
        h.send(if n == 30 { big.clone() } else { msg(n) }).unwrap();
    }
    h.connect_until_auth();
    let grant = json!({"type": "auth_response", "success": true, "userId": "alice",
        "limits": {"messagesPerMinute": 60, "maxMessageBytes": 100}});
    h.frame(grant.clone());
    let mut sent = Vec::new();
    let record = |h: &mut Harness, sent: &mut Vec<String>| {
        for (seq, text) in app_frames(&h.drain()) {
            assert_eq!(seq, None, "at-most-once: not numbered");
            sent.push(text);
        }
    };
    // What is owed: everything not yet sent, less the large one once the flush has passed it.
    let owed = |sent: &[String]| 80 - sent.len() - usize::from(sent.contains(&msg(31)));
    record(&mut h, &mut sent);
    assert!((31..79).contains(&sent.len()), "past the large one, then cut short by pacing: {}", sent.len());
    assert_eq!(h.core.queued_count(), owed(&sent), "what went out left the queue");
    h.fire_next_timeout();
    record(&mut h, &mut sent);
    assert!(sent.len() < 79, "still paced: {}", sent.len());
    assert_eq!(h.core.queued_count(), owed(&sent));
    h.closed_by_peer(1006, String::new());
    h.fire_next_timeout();
    h.connect_until_auth();
    h.frame(grant);
    while sent.len() < 79 {
        record(&mut h, &mut sent);
        assert_eq!(h.core.queued_count(), owed(&sent));
        if sent.len() < 79 {
            h.fire_next_timeout();
        }
    }
    let expected: Vec<String> = (0..80).filter(|n| *n != 30).map(msg).collect();
    assert_eq!(sent, expected, "each once, in order");
    assert_eq!(h.core.queued_count(), 0);
}

#[test]
fn pacing_keeps_a_flush_inside_the_advertised_rate() {
    let mut h = Harness::new(no_jitter());
    for n in 0..100 {
        h.send(msg(n)).unwrap();
    }
    h.connect_until_auth();
    granted(&mut h, false, 0, json!({"messagesPerMinute": 60, "maxMessageBytes": 10240}));
    // A model of the server's bucket: 60 at once, one more each second.
    let (mut server_tokens, mut last) = (60.0_f64, 0);
    let mut sent = 0;
    while sent < 100 {
        let actions = h.drain();
        for _ in app_frames(&actions) {
            server_tokens = (server_tokens + (h.now - last) as f64 / 1000.0).min(60.0);
            last = h.now;
            assert!(server_tokens >= 1.0, "message {sent} at {} ms would trip 4008", h.now);
            server_tokens -= 1.0;
            sent += 1;
        }
        if sent < 100 {
            h.fire_next_timeout();
        }
    }
    assert!(h.now >= 40_000, "100 messages at 60/min take time: {} ms", h.now);
    assert!(h.now <= 60_000, "but not much more than the rate needs: {} ms", h.now);
}

#[test]
fn a_queued_message_the_server_cannot_take_is_dropped_and_reported_not_looped() {
    let mut h = Harness::new(no_jitter());
    h.send("x".repeat(5000)).unwrap();
    let receipt = h.core.send(h.now, msg(1), true).unwrap();
    h.connect_until_auth();
    h.frame(json!({"type": "auth_response", "success": true, "limits": {"maxMessageBytes": 1000}}));
    let actions = h.drain();
    assert_eq!(app_frames(&actions), [(None, msg(1))]);
    assert_eq!(error_codes(&actions), ["message_too_large"]);
    assert!(matches!(h.send("y".repeat(1001)), Err(SendError::MessageTooLarge { limit: 1000, .. })));
    assert!(events_of(&actions).contains(&Event::Unconfirmed(receipt)));
}

#[test]
fn on_an_exactly_once_session_the_server_limit_bounds_the_message_not_its_wrapping() {
    // PROTOCOL.md: `maxMessageBytes` bounds `data`; the `msg` envelope comes on top, and a server
    // must accept it. A message of exactly the limit goes out, numbered; one byte more does not.
    let at_limit = format!(r#"{{"m":"{}"}}"#, "x".repeat(92));
    let over = format!(r#"{{"m":"{}"}}"#, "x".repeat(93));
    assert_eq!((at_limit.len(), over.len()), (100, 101));
    let mut h = Harness::new(no_jitter());
    h.send(at_limit.clone()).unwrap();
    h.send(over.clone()).unwrap();
    h.connect_until_auth();
    granted(&mut h, false, 0, json!({"maxMessageBytes": 100}));
    let actions = h.drain();
    assert_eq!(app_frames(&actions), [(Some(1), at_limit.clone())], "queued before the limit was known");
    assert_eq!(error_codes(&actions), ["message_too_large"]);
    h.send(at_limit.clone()).expect("a message of exactly the limit is accepted");
    assert_eq!(app_frames(&h.drain()), [(Some(2), at_limit)]);
    assert!(matches!(h.send(over), Err(SendError::MessageTooLarge { bytes: 101, limit: 100 })));
}

#[test]
fn acks_for_a_replaced_socket_are_ignored() {
    let mut h = Harness::new(no_jitter());
    connect_resumable(&mut h, false, 0);
    h.send(msg(1)).unwrap();
    h.drain();
    let old = h.conn;
    h.closed_by_peer(1006, String::new());
    h.core.handle_frame(h.now, old, classify(json!({"type": "ack", "seq": 1})).unwrap());
    assert_eq!(h.core.queued_count(), 1, "a late ack from a dead socket proves nothing");
}

pub(super) fn events_of(actions: &[Action<Value>]) -> Vec<Event<Value>> {
    actions.iter().filter_map(|a| if let Action::Emit(e) = a { Some(e.clone()) } else { None }).collect()
}

fn closes(actions: &[Action<Value>]) -> Vec<u16> {
    actions
        .iter()
        .filter_map(|a| if let Action::CloseSocket { code, .. } = a { Some(*code) } else { None })
        .collect()
}

fn error_codes(actions: &[Action<Value>]) -> Vec<String> {
    events_of(actions)
        .into_iter()
        .filter_map(|e| super::reported_error(&e).map(|e| e.code.as_str().to_owned()))
        .collect()
}

/// A resumable server with a replay window that always covers the gap, behind a network that
/// loses whatever is in flight when the connection drops. It is conservative in the way the
/// protocol allows, so duplicates happen both ways: on a resume it reports what it last
/// acknowledged (not all it received), and replays from what the client last acknowledged (not
/// from the client's offer).
#[derive(Default)]
struct ModelServer {
    /// The last `ack` it sent, and the last `ack` it got.
    acked_to_client: u64,
    client_acked: u64,
    /// Client messages delivered to the application, by their `n`.
    received: Vec<u64>,
    received_seq: u64,
    /// Server messages of the session, numbered from 1.
    log: Vec<u64>,
    /// Frames in flight each way on the current connection.
    to_server: VecDeque<String>,
    to_client: VecDeque<Value>,
    authenticated: bool,
}

impl ModelServer {
    /// The connection is gone, and with it whatever was in flight.
    fn disconnect(&mut self) {
        self.to_server.clear();
        self.to_client.clear();
        self.authenticated = false;
    }

    fn receive(&mut self, text: &str) -> Result<(), TestCaseError> {
        let frame: Value = serde_json::from_str(text).unwrap();
        match frame["type"].as_str().unwrap() {
            "auth" => {
                let offered = frame["resume"]["sessionId"].as_str() == Some("s1");
                let offer = if offered { frame["resume"]["lastSeq"].as_u64().unwrap() } else { 0 };
                prop_assert!(offer >= self.client_acked, "the client forgot what it acknowledged");
                let from = self.client_acked;
                self.to_client.push_back(json!({"type": "auth_response", "success": true,
                    "session": {"id": "s1", "resumed": offered, "lastSeq": self.acked_to_client}}));
                for (i, n) in self.log.iter().enumerate().skip(from as usize) {
                    self.to_client
                        .push_back(json!({"type": "msg", "seq": i + 1, "data": {"type": "m", "n": n}}));
                }
                self.authenticated = true;
            }
            "msg" => {
                let seq = frame["seq"].as_u64().unwrap();
                prop_assert!(
                    seq <= self.received_seq + 1,
                    "the client skipped from {} to {seq}",
                    self.received_seq
                );
                if seq == self.received_seq + 1 {
                    self.received_seq = seq;
                    self.received.push(frame["data"]["n"].as_u64().unwrap());
                }
            }
            "ack" => self.client_acked = self.client_acked.max(frame["seq"].as_u64().unwrap()),
            "ping" | "pong" | "reauth" => {}
            other => prop_assert!(false, "unexpected frame {other}"),
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Step {
    ClientSends,
    ServerSends,
    ToServer(u8),
    ToClient(u8),
    ServerAcks,
    Drop,
    Advance(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::ClientSends),
        4 => Just(Step::ServerSends),
        4 => (1u8..8).prop_map(Step::ToServer),
        4 => (1u8..8).prop_map(Step::ToClient),
        1 => Just(Step::ServerAcks),
        1 => Just(Step::Drop),
        2 => (0u16..3000).prop_map(Step::Advance),
    ]
}

/// Runs the core's actions against the model: sockets open at once, tokens come at once.
fn run(h: &mut Harness, server: &mut ModelServer, received: &mut Vec<u64>) {
    loop {
        let actions = h.drain();
        if actions.is_empty() {
            return;
        }
        for action in actions {
            match action {
                Action::FetchToken(_) => h.give_token(None).truncate(0),
                Action::OpenSocket(_) => {
                    server.disconnect();
                    h.open();
                }
                // The SDK closed the socket: what was in flight on it is gone with it.
                Action::CloseSocket { .. } => {
                    server.disconnect();
                }
                Action::Send(frame) => server.to_server.push_back(frame.text().to_owned()),
                Action::SendApp { seq, message } => {
                    let seq = seq.expect("the model server always grants a session");
                    server.to_server.push_back(format!(r#"{{"type":"msg","seq":{seq},"data":{message}}}"#));
                }
                Action::Emit(Event::Message(m)) => received.push(m["n"].as_u64().unwrap()),
                _ => {}
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_message_arrives_exactly_once_in_order_both_ways(steps in prop::collection::vec(step(), 1..120)) {
        let mut config = no_jitter();
        config.reconnect.max_attempts = u32::MAX;
        config.max_queued_messages = 10_000;
        let mut h = Harness::new(config);
        let mut server = ModelServer::default();
        let (mut sent, mut received) = (0u64, Vec::new());
        run(&mut h, &mut server, &mut received);
        for step in steps {
            match step {
                Step::ClientSends => {
                    sent += 1;
                    h.send(msg(sent)).unwrap();
                }
                Step::ServerSends => {
                    let n = server.log.len() as u64 + 1;
                    server.log.push(n);
                    if server.authenticated {
                        server.to_client.push_back(json!({"type": "msg", "seq": n, "data": {"type": "m", "n": n}}));
                    }
                }
                Step::ToServer(k) => {
                    for _ in 0..k {
                        let Some(text) = server.to_server.pop_front() else { break };
                        server.receive(&text)?;
                    }
                }
                Step::ToClient(k) => {
                    for _ in 0..k {
                        let Some(frame) = server.to_client.pop_front() else { break };
                        h.frame(frame);
                    }
                }
                Step::ServerAcks => if server.authenticated {
                    server.acked_to_client = server.received_seq;
                    server.to_client.push_back(json!({"type": "ack", "seq": server.received_seq}));
                },
                Step::Drop => {
                    // The cable is pulled: whatever is in flight either way is gone.
                    server.disconnect();
                    h.closed_by_peer(1006, String::new());
                }
                Step::Advance(ms) => h.advance(u64::from(ms)),
            }
            run(&mut h, &mut server, &mut received);
        }
        // Then the network heals: everything in flight arrives, timers run, until all is said.
        for _ in 0..200 {
            while let Some(text) = server.to_server.pop_front() {
                server.receive(&text)?;
            }
            while let Some(frame) = server.to_client.pop_front() {
                h.frame(frame);
            }
            run(&mut h, &mut server, &mut received);
            if server.to_server.is_empty() && server.to_client.is_empty() {
                if server.received.len() as u64 == sent && received.len() == server.log.len() && h.core.queued_count() == 0 {
                    break;
                }
                if server.authenticated {
                    server.acked_to_client = server.received_seq;
                    server.to_client.push_back(json!({"type": "ack", "seq": server.received_seq}));
                } else if let Some(at) = h.core.poll_timeout() {
                    h.now = h.now.max(at);
                    h.core.handle_timeout(h.now);
                }
                run(&mut h, &mut server, &mut received);
            }
        }
        prop_assert_eq!(&server.received, &(1..=sent).collect::<Vec<_>>(), "client → server");
        prop_assert_eq!(&received, &server.log, "server → client");
        prop_assert_eq!(h.core.queued_count(), 0, "everything acknowledged");
    }
}

#[test]
fn a_flush_writes_no_more_than_the_browser_buffer_takes_and_goes_on_as_it_drains() {
    let mut h = Harness::new(no_jitter());
    // 100 messages of ~9 KB, queued before authentication: ~900 KB, over three times the mark.
    let big = |n: u64| format!(r#"{{"type":"m","n":{n},"pad":"{}"}}"#, "x".repeat(9000));
    for n in 1..=100 {
        h.send(big(n)).unwrap();
    }
    let actions = connect_resumable(&mut h, false, 0);
    let first = app_frames(&actions);
    let written: usize = first.iter().map(|(_, m)| m.len()).sum();
    assert!(first.len() < 100, "the flush stopped short: {} written", first.len());
    assert!(
        written > BUFFERED_HIGH_WATER as usize - 10_000 && written <= BUFFERED_HIGH_WATER as usize + 10_000,
        "about the mark's worth went out: {written} bytes"
    );
    let last_write = actions.iter().rposition(|a| matches!(a, Action::SendApp { .. })).unwrap();
    assert_eq!(actions[last_write + 1], Action::MeasureBuffered(h.conn), "then it asks the browser");
    // Still full: it waits and asks again after a short poll, writing nothing meanwhile.
    h.core.handle_buffered(h.now, h.conn, BUFFERED_HIGH_WATER + 1);
    assert!(app_frames(&h.drain()).is_empty());
    h.send(big(101)).unwrap();
    assert!(app_frames(&h.drain()).is_empty(), "a new send waits behind the full buffer");
    let waited = h.fire_next_timeout();
    assert!(waited <= 10, "polled after {waited} ms");
    assert_eq!(h.drain(), [Action::MeasureBuffered(h.conn)]);
    // Half drained: the flush goes on from where it stopped, in order, with its numbers.
    h.core.handle_buffered(h.now, h.conn, BUFFERED_HIGH_WATER / 2);
    let second = app_frames(&h.drain());
    assert_eq!(second.first().map(|(seq, _)| *seq), Some(Some(first.len() as u64 + 1)));
    // Emptied, as many times as it takes: every message goes out once, in order.
    let mut all: Vec<_> = first.into_iter().chain(second).collect();
    for _ in 0..101 {
        if all.len() >= 101 {
            break;
        }
        h.core.handle_buffered(h.now, h.conn, 0);
        all.extend(app_frames(&h.drain()));
    }
    let numbers: Vec<_> = all.iter().map(|(seq, _)| seq.unwrap()).collect();
    assert_eq!(numbers, (1..=101).collect::<Vec<u64>>());
    assert_eq!(all[100].1, big(101));
    // An answer nobody asked for, or about another socket, changes nothing.
    h.core.handle_buffered(h.now, ConnectionId(h.conn.0 + 1), BUFFERED_HIGH_WATER + 1);
    h.core.handle_buffered(h.now, h.conn, BUFFERED_HIGH_WATER + 1);
    h.send(msg(102)).unwrap();
    assert_eq!(app_frames(&h.drain()), [(Some(102), msg(102))]);
}
