//! A shared connection changing hands between tabs (PROTOCOL.md, "Sharing one socket across
//! tabs"): the leader's core announces what the other tabs need ([`Replication`]), and the next
//! leader's core adopts it ([`Handover`]) and resumes the session, so that nothing is lost or
//! repeated across the hand-over; then a property test that chains hand-overs over a lossy
//! network against a model server.

use std::collections::{BTreeMap, HashMap, VecDeque};

use proptest::prelude::*;
use serde_json::{json, Value};

use super::{
    resume::{app_frames, msg},
    session::{no_jitter, Harness},
};
use crate::core::{close_code, *};

fn grant(h: &mut Harness, id: &str, resumed: bool, last_seq: u64) {
    h.frame(json!({"type": "auth_response", "success": true, "userId": "alice",
        "session": {"id": id, "resumed": resumed, "lastSeq": last_seq}}));
}

/// Token and socket, up to the `auth` frame; returns its text.
fn offer(h: &mut Harness) -> String {
    h.drain();
    h.give_token(None);
    h.open();
    h.drain()
        .into_iter()
        .find_map(|a| match a {
            Action::Send(frame) => Some(frame.text().to_owned()),
            _ => None,
        })
        .expect("auth is sent")
}

fn records(actions: &[Action<Value>]) -> Vec<&Replication<String>> {
    actions.iter().filter_map(|a| if let Action::Replicate(r) = a { Some(r) } else { None }).collect()
}

/// A leader with session `s1` granted, replicating.
fn leader() -> Harness {
    let mut h = Harness::new(no_jitter());
    h.core.replicate(None);
    offer(&mut h);
    grant(&mut h, "s1", false, 0);
    h
}

fn follower_core(handover: Handover<String>) -> Harness {
    let mut h = Harness::new(no_jitter());
    h.core.replicate(Some(handover));
    h
}

#[test]
fn each_send_is_announced_with_its_number_before_it_is_written() {
    let mut h = leader();
    assert_eq!(
        records(&h.drain()),
        [&Replication::Session { id: Some("s1".into()), resumed: false }],
        "the session id, for the next leader"
    );
    let id = h.send(msg(1)).unwrap();
    let actions = h.drain();
    let announced = actions.iter().position(|a| matches!(a, Action::Replicate(Replication::Sent { .. })));
    let written = actions.iter().position(|a| matches!(a, Action::SendApp { .. }));
    assert!(announced.unwrap() < written.unwrap(), "{actions:?}");
    assert_eq!(records(&actions), [&Replication::Sent { seq: Some(1), id, message: msg(1) }]);
    h.frame(json!({"type": "ack", "seq": 1}));
    assert_eq!(records(&h.drain()), [&Replication::Acked { seq: 1 }]);
}

#[test]
fn a_server_message_reaches_the_other_tabs_a_tick_before_it_is_acknowledged() {
    let mut h = leader();
    h.drain();
    let acks = |actions: &[Action<Value>]| -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Send(f) if f.text().contains(r#""ack""#) => Some(f.text().to_owned()),
                _ => None,
            })
            .collect()
    };
    let mut actions = Vec::new();
    for seq in 1..=32 {
        h.frame(json!({"type": "msg", "seq": seq, "data": {"type": "chat"}}));
        actions.extend(h.drain());
    }
    assert!(records(&actions).contains(&&Replication::Received { seq: 32 }), "announced at once");
    assert!(acks(&actions).is_empty(), "a shared connection does not acknowledge at once");
    // The first tick notes what was announced; only the next acknowledges it, so an ack never
    // covers a message announced less than a tick before (a crash could lose that announcement).
    h.fire_next_timeout();
    h.frame(json!({"type": "msg", "seq": 33, "data": {"type": "chat"}}));
    assert!(acks(&h.drain()).is_empty());
    h.fire_next_timeout();
    assert_eq!(acks(&h.drain()), [r#"{"type":"ack","seq":32}"#]);
    h.fire_next_timeout();
    assert_eq!(acks(&h.drain()), [r#"{"type":"ack","seq":33}"#]);
    // A replayed duplicate is neither announced nor delivered again.
    h.frame(json!({"type": "msg", "seq": 32, "data": {"type": "chat"}}));
    assert!(records(&h.drain()).is_empty());
}

#[test]
fn an_unshared_session_announces_nothing() {
    let mut h = Harness::new(no_jitter());
    offer(&mut h);
    grant(&mut h, "s1", false, 0);
    h.send(msg(1)).unwrap();
    h.frame(json!({"type": "msg", "seq": 1, "data": {"type": "chat"}}));
    assert!(records(&h.drain()).is_empty());
}

#[test]
fn handing_over_closes_4015_so_the_server_keeps_the_session() {
    let mut h = leader();
    h.drain();
    h.core.hand_over(h.now);
    let actions = h.drain();
    assert!(actions.contains(&Action::CloseSocket {
        code: close_code::HANDED_OVER,
        reason: "handed over to another tab"
    }));
    assert_eq!(h.core.state(), State::Closed);
}

#[test]
fn a_hand_over_in_the_middle_of_a_flush_writes_nothing_unannounced() {
    let mut h = leader();
    h.drain();
    h.core.send(h.now, msg(1), false).unwrap();
    // The flush decided: announce 1, write 1. The app's handler hands over before the driver ran
    // them (a handler of an event emitted mid-flush).
    h.core.hand_over(h.now);
    let actions = h.drain();
    assert!(app_frames(&actions).is_empty(), "nothing written after the hand-over: {actions:?}");
    assert!(
        !records(&actions).iter().any(|r| matches!(r, Replication::Sent { .. })),
        "nor announced: the message stays its tab's to offer to the next leader"
    );
    assert!(actions.contains(&Action::CloseSocket {
        code: close_code::HANDED_OVER,
        reason: "handed over to another tab"
    }));
}

#[test]
fn the_next_leader_resumes_and_resends_only_what_the_server_missed_keeping_numbers() {
    let mut h = follower_core(Handover {
        session_id: "s1".into(),
        last_in: 7,
        next_seq: 6,
        log: vec![(3, msg(3)), (4, msg(4)), (5, msg(5))],
    });
    h.send(msg(6)).unwrap();
    let auth = offer(&mut h);
    assert!(auth.ends_with(r#""resume":{"sessionId":"s1","lastSeq":7}}"#), "{auth}");
    // The server had 3 (its ack never reached any tab).
    grant(&mut h, "s1", true, 3);
    let actions = h.drain();
    assert_eq!(app_frames(&actions), [(Some(4), msg(4)), (Some(5), msg(5)), (Some(6), msg(6))]);
    assert!(!actions.contains(&Action::Emit(Event::Resync)));
    assert_eq!(
        records(&actions)[..2],
        [&Replication::Session { id: Some("s1".into()), resumed: true }, &Replication::Acked { seq: 3 }]
    );
    // Resent messages keep their announced numbers; only the new one is announced.
    let sent: Vec<_> =
        records(&actions).into_iter().filter(|r| matches!(r, Replication::Sent { .. })).collect();
    assert_eq!(sent, [&Replication::Sent { seq: Some(6), id: 4, message: msg(6) }]);
}

#[test]
fn a_hole_in_the_adopted_log_is_numbered_afresh_after_what_the_server_has() {
    // Number 5's announcement never arrived: sending 4 then 6 would be a gap (4012) forever.
    let mut h = follower_core(Handover {
        session_id: "s1".into(),
        last_in: 0,
        next_seq: 7,
        log: vec![(4, msg(4)), (6, msg(6))],
    });
    offer(&mut h);
    grant(&mut h, "s1", true, 3);
    assert_eq!(app_frames(&h.drain()), [(Some(4), msg(4)), (Some(5), msg(6))]);
}

#[test]
fn a_server_ahead_of_the_log_gets_new_sends_after_its_last_number() {
    let mut h =
        follower_core(Handover { session_id: "s1".into(), last_in: 0, next_seq: 3, log: vec![(2, msg(2))] });
    h.send(msg(9)).unwrap();
    offer(&mut h);
    grant(&mut h, "s1", true, 5);
    assert_eq!(app_frames(&h.drain()), [(Some(6), msg(9))], "never under a number the server has");
}

/// The adopted log's allowance (the server may hold numbers it never heard of) lasts one resume:
/// on the next, a `lastSeq` beyond what was sent confirms nothing, as on any session.
#[test]
fn after_the_first_resume_a_taken_over_log_gets_no_allowance_beyond_what_was_sent() {
    let mut h =
        follower_core(Handover { session_id: "s1".into(), last_in: 0, next_seq: 3, log: vec![(2, msg(2))] });
    offer(&mut h);
    grant(&mut h, "s1", true, 1);
    assert_eq!(app_frames(&h.drain()), [(Some(2), msg(2))]);
    h.closed_by_peer(1006, String::new());
    h.drain();
    h.fire_next_timeout();
    offer(&mut h);
    grant(&mut h, "s1", true, 50);
    let actions = h.drain();
    // (The adopted log waits for no receipt: what shows it taken as delivered is its absence.)
    assert_eq!(app_frames(&actions), [(Some(51), msg(2))], "sent again after its lastSeq");
    let reported = actions
        .iter()
        .any(|a| matches!(a, Action::Emit(Event::Error(error)) if error.code.as_str() == "invalid_frame"));
    assert!(reported, "{actions:?}");
}

#[test]
fn a_lost_session_on_handover_says_resync_and_renumbers_the_log() {
    let mut h =
        follower_core(Handover { session_id: "s1".into(), last_in: 4, next_seq: 4, log: vec![(3, msg(3))] });
    offer(&mut h);
    grant(&mut h, "s2", false, 0);
    let actions = h.drain();
    assert!(actions.contains(&Action::Emit(Event::Resync)));
    assert_eq!(app_frames(&actions), [(Some(1), msg(3))]);
    assert!(records(&actions).contains(&&Replication::Session { id: Some("s2".into()), resumed: false }));
}

#[test]
fn a_handover_given_after_the_session_started_is_ignored() {
    let mut h = leader();
    h.core.replicate(Some(Handover { session_id: "other".into(), last_in: 9, next_seq: 9, log: vec![] }));
    h.closed_by_peer(1006, String::new());
    h.fire_next_timeout();
    assert!(offer(&mut h).contains(r#""sessionId":"s1","lastSeq":0"#));
}

/// What every tab holds, built from the leader's announcements only (as the channel carries them).
#[derive(Default, Clone)]
struct Replica {
    session: Option<String>,
    /// seq → the message's `n`.
    log: BTreeMap<u64, u64>,
    acked: u64,
    last_in: u64,
}

/// The server: exact about what it received, replays from the client's offer.
#[derive(Default)]
struct Server {
    received_seq: u64,
    received: Vec<u64>,
    log: Vec<u64>,
    to_server: VecDeque<String>,
    to_client: VecDeque<Value>,
    live: bool,
}

impl Server {
    fn receive(&mut self, text: &str) -> Result<(), TestCaseError> {
        let frame: Value = serde_json::from_str(text).unwrap();
        match frame["type"].as_str().unwrap() {
            "auth" => {
                let resumed = frame["resume"]["sessionId"].as_str() == Some("s1");
                if !resumed {
                    // Only a tab that never had the grant offers none: nothing was said yet.
                    prop_assert!(self.received.is_empty(), "the session was lost");
                    self.log.clear();
                }
                let from = frame["resume"]["lastSeq"].as_u64().unwrap() as usize;
                self.to_client.push_back(json!({"type": "auth_response", "success": true,
                    "session": {"id": "s1", "resumed": resumed, "lastSeq": self.received_seq}}));
                for (i, n) in self.log.iter().enumerate().skip(from) {
                    self.to_client
                        .push_back(json!({"type": "msg", "seq": i + 1, "data": {"type": "m", "n": n}}));
                }
                self.live = true;
            }
            "msg" => {
                let seq = frame["seq"].as_u64().unwrap();
                prop_assert!(seq <= self.received_seq + 1, "gap from {} to {seq}", self.received_seq);
                if seq == self.received_seq + 1 {
                    self.received_seq = seq;
                    self.received.push(frame["data"]["n"].as_u64().unwrap());
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// One tab's sends not yet confirmed (acknowledged, or sent at most once): their `n`, in order.
struct World {
    h: Harness,
    server: Server,
    replica: Replica,
    /// The leader core's send ids → `n`.
    ids: HashMap<MessageId, u64>,
    /// Sends the tabs have not seen confirmed, by `n` (the tabs' outboxes).
    unconfirmed: Vec<u64>,
    /// `n` → its announced number.
    numbered: HashMap<u64, u64>,
    delivered: Vec<u64>,
}

impl World {
    fn run(&mut self) -> Result<(), TestCaseError> {
        loop {
            let actions = self.h.drain();
            if actions.is_empty() {
                return Ok(());
            }
            for action in actions {
                match action {
                    Action::FetchToken(_) => self.h.give_token(None).truncate(0),
                    Action::OpenSocket(_) => {
                        // A new socket: what the old one had in flight either way is gone with
                        // it (an `auth_response` for the old socket must not answer the new one).
                        self.server.to_client.clear();
                        self.server.to_server.clear();
                        self.server.live = false;
                        self.h.open();
                    }
                    Action::CloseSocket { .. } => {
                        // What the socket wrote reaches the server before the close does; an
                        // answer to it (an `auth_response`) goes nowhere, and so does an `auth`
                        // (the server would close a connection it cannot answer on).
                        while let Some(text) = self.server.to_server.pop_front() {
                            if !text.contains(r#""type":"auth""#) {
                                self.server.receive(&text)?;
                            }
                        }
                        self.server.to_client.clear();
                        self.server.live = false;
                    }
                    Action::Send(frame) => self.server.to_server.push_back(frame.text().to_owned()),
                    Action::SendApp { seq, message } => {
                        let seq = seq.expect("a session");
                        self.server
                            .to_server
                            .push_back(format!(r#"{{"type":"msg","seq":{seq},"data":{message}}}"#));
                    }
                    Action::Replicate(record) => self.replicate(record),
                    Action::Emit(Event::Message(m)) => self.delivered.push(m["n"].as_u64().unwrap()),
                    _ => {}
                }
            }
        }
    }

    fn replicate(&mut self, record: Replication<String>) {
        let r = &mut self.replica;
        match record {
            Replication::Session { id, resumed } => {
                if !resumed {
                    r.log.clear();
                    r.acked = 0;
                    r.last_in = 0;
                }
                r.session = id;
            }
            Replication::Sent { seq: Some(seq), id, .. } => {
                let n = self.ids[&id];
                // A fresh number: anything at or above it is stale.
                r.log.retain(|s, _| *s < seq);
                r.log.insert(seq, n);
                self.numbered.insert(n, seq);
            }
            Replication::Sent { seq: None, .. } | Replication::Dropped { .. } => {
                unreachable!("always a session")
            }
            Replication::Acked { seq } => {
                r.acked = r.acked.max(seq);
                r.log.retain(|s, _| *s > seq);
                let acked = r.acked;
                let numbered = &self.numbered;
                self.unconfirmed.retain(|n| numbered.get(n).is_none_or(|s| *s > acked));
            }
            Replication::Received { seq } => r.last_in = seq,
        }
    }

    /// The leader tab goes away; another leads with what the replica holds, then re-offers every
    /// unconfirmed send the log does not hold.
    fn hand_over(&mut self, orderly: bool) -> Result<(), TestCaseError> {
        if orderly {
            self.h.core.hand_over(self.h.now);
            self.run()?;
        }
        let mut config = no_jitter();
        config.reconnect.max_attempts = u32::MAX;
        config.max_queued_messages = 10_000;
        let mut h = Harness::new(config);
        let r = self.replica.clone();
        self.ids.clear();
        let in_log: Vec<u64> = r.log.values().copied().collect();
        if let Some(session_id) = r.session {
            let next_seq = r.log.keys().next_back().map_or(r.acked + 1, |s| s + 1);
            for (i, n) in in_log.iter().enumerate() {
                self.ids.insert(i as u64 + 1, *n);
            }
            let log = r.log.iter().map(|(s, n)| (*s, msg(*n))).collect();
            h.core.replicate(Some(Handover { session_id, last_in: r.last_in, next_seq, log }));
        } else {
            h.core.replicate(None);
        }
        for n in self.unconfirmed.clone() {
            if !in_log.contains(&n) {
                let id = h.send(msg(n)).unwrap();
                self.ids.insert(id, n);
            }
        }
        self.h = h;
        self.server.live = false;
        self.server.to_client.clear();
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Step {
    TabSends,
    ServerSends,
    ToServer(u8),
    ToClient(u8),
    ServerAcks,
    Drop,
    HandOver { orderly: bool, lose_in_flight: bool },
    Advance(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::TabSends),
        3 => Just(Step::ServerSends),
        4 => (1u8..8).prop_map(Step::ToServer),
        4 => (1u8..8).prop_map(Step::ToClient),
        1 => Just(Step::ServerAcks),
        1 => Just(Step::Drop),
        2 => (any::<bool>(), any::<bool>()).prop_map(|(orderly, lose_in_flight)| Step::HandOver { orderly, lose_in_flight }),
        2 => (0u16..3000).prop_map(Step::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Leaders close or crash at any point (a crash may lose its frames in flight); each new one
    /// adopts only what was announced. Every message arrives once, in order, both ways.
    #[test]
    fn hand_overs_lose_and_repeat_nothing(steps in prop::collection::vec(step(), 1..120)) {
        let mut config = no_jitter();
        config.reconnect.max_attempts = u32::MAX;
        config.max_queued_messages = 10_000;
        let mut h = Harness::new(config);
        h.core.replicate(None);
        let mut w = World {
            h,
            server: Server::default(),
            replica: Replica::default(),
            ids: HashMap::new(),
            unconfirmed: Vec::new(),
            numbered: HashMap::new(),
            delivered: Vec::new(),
        };
        let mut sent = 0u64;
        w.run()?;
        for step in steps {
            match step {
                Step::TabSends => {
                    sent += 1;
                    w.unconfirmed.push(sent);
                    let id = w.h.send(msg(sent)).unwrap();
                    w.ids.insert(id, sent);
                }
                Step::ServerSends => {
                    let n = w.server.log.len() as u64 + 1;
                    w.server.log.push(n);
                    if w.server.live {
                        w.server.to_client.push_back(json!({"type": "msg", "seq": n, "data": {"type": "m", "n": n}}));
                    }
                }
                Step::ToServer(k) => {
                    for _ in 0..k {
                        let Some(text) = w.server.to_server.pop_front() else { break };
                        w.server.receive(&text)?;
                    }
                }
                Step::ToClient(k) => {
                    for _ in 0..k {
                        let Some(frame) = w.server.to_client.pop_front() else { break };
                        w.h.frame(frame);
                    }
                }
                Step::ServerAcks => if w.server.live {
                    w.server.to_client.push_back(json!({"type": "ack", "seq": w.server.received_seq}));
                },
                Step::Drop => {
                    w.server.to_server.clear();
                    w.server.to_client.clear();
                    w.server.live = false;
                    w.h.closed_by_peer(1006, String::new());
                }
                Step::HandOver { orderly, lose_in_flight } => {
                    // A closing tab's socket delivers what it wrote; a crashed one may not.
                    if lose_in_flight && !orderly {
                        w.server.to_server.clear();
                    }
                    w.hand_over(orderly)?;
                    while let Some(text) = w.server.to_server.pop_front() {
                        if !text.contains(r#""type":"auth""#) {
                            w.server.receive(&text)?;
                        }
                    }
                }
                Step::Advance(ms) => w.h.advance(u64::from(ms)),
            }
            w.run()?;
        }
        for _ in 0..200 {
            while let Some(text) = w.server.to_server.pop_front() {
                w.server.receive(&text)?;
            }
            while let Some(frame) = w.server.to_client.pop_front() {
                w.h.frame(frame);
            }
            w.run()?;
            if w.server.to_server.is_empty() && w.server.to_client.is_empty() {
                if w.server.received.len() as u64 == sent && w.delivered.len() == w.server.log.len() && w.h.core.queued_count() == 0 {
                    break;
                }
                if w.server.live {
                    w.server.to_client.push_back(json!({"type": "ack", "seq": w.server.received_seq}));
                } else if let Some(at) = w.h.core.poll_timeout() {
                    w.h.now = w.h.now.max(at);
                    w.h.core.handle_timeout(w.h.now);
                }
                w.run()?;
            }
        }
        prop_assert_eq!(&w.server.received, &(1..=sent).collect::<Vec<_>>(), "tabs → server");
        prop_assert_eq!(&w.delivered, &w.server.log, "server → tabs");
    }
}
