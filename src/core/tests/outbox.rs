//! `Outbox` against a model: the plainest queue that does what its documentation says (a `Vec`
//! that removes from the front at once), on random sequences of every operation the session
//! makes. The outbox's own bookkeeping (finished messages counted off the front and dropped in
//! one shift later, at-most-once sends removed after the flush) must never show.

use proptest::prelude::*;

use crate::core::outbox::{Outbox, Outgoing};

/// One owed message in the model: (id, seq, receipt, setup, message).
type Entry = (u64, Option<u64>, bool, bool, u32);

struct Model {
    entries: Vec<Entry>,
    in_flight: usize,
    limit: usize,
    next_id: u64,
    next_seq: u64,
}

impl Model {
    fn new(limit: usize) -> Self {
        Self { entries: Vec::new(), in_flight: 0, limit, next_id: 1, next_seq: 1 }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id - 1
    }

    /// Bounded by the app's own sends: the subscriptions (`setup`) come on top.
    fn push(&mut self, message: u32, receipt: bool) -> Option<u64> {
        (self.entries.iter().filter(|entry| !entry.3).count() < self.limit).then(|| {
            let id = self.id();
            self.entries.push((id, None, receipt, false, message));
            id
        })
    }

    fn push_first(&mut self, messages: &[u32]) {
        for (i, message) in messages.iter().enumerate() {
            let id = self.next_id + (messages.len() - 1 - i) as u64;
            self.entries.insert(self.in_flight + i, (id, None, false, true, *message));
        }
        self.next_id += messages.len() as u64;
    }

    /// An at-most-once send leaves at once; a sequenced one is numbered and stays in flight.
    fn take_next(&mut self, sequenced: bool) -> Option<(u64, Option<u64>, bool, bool, u32)> {
        let entry = *self.entries.get(self.in_flight)?;
        if !sequenced {
            self.entries.remove(self.in_flight);
            return Some((entry.0, None, entry.2, true, entry.4));
        }
        let seq = entry.1.unwrap_or_else(|| {
            self.next_seq += 1;
            self.next_seq - 1
        });
        self.entries[self.in_flight].1 = Some(seq);
        self.in_flight += 1;
        Some((entry.0, Some(seq), entry.2, entry.1.is_none(), entry.4))
    }

    /// A dropped message that was numbered gives its number to the next: no gap.
    fn drop_next(&mut self) -> Option<(u64, bool)> {
        (self.in_flight < self.entries.len()).then(|| {
            let entry = self.entries.remove(self.in_flight);
            if let Some(seq) = entry.1 {
                self.entries[self.in_flight..].iter_mut().for_each(|e| e.1 = None);
                self.next_seq = seq;
            }
            (entry.0, entry.2)
        })
    }

    fn acknowledge(&mut self, seq: u64) -> Option<u64> {
        let mut receipt = None;
        while self.in_flight > 0 && self.entries[0].1.is_some_and(|s| s <= seq) {
            let entry = self.entries.remove(0);
            self.in_flight -= 1;
            receipt = if entry.2 { Some(entry.0) } else { receipt };
        }
        receipt
    }

    fn acknowledge_rewound(&mut self, seq: u64) -> Option<u64> {
        self.in_flight = self.entries.iter().take_while(|e| e.1.is_some_and(|s| s <= seq)).count();
        let receipt = self.acknowledge(seq);
        let numbered: Vec<u64> = self.entries.iter().map_while(|e| e.1).collect();
        if numbered.iter().zip(seq + 1..).any(|(s, expected)| *s != expected) {
            self.entries.iter_mut().for_each(|e| e.1 = None);
        }
        // The next number follows what the server has and what is still numbered, nothing else.
        self.next_seq = seq + 1 + self.entries.iter().map_while(|e| e.1).count() as u64;
        receipt
    }

    fn adopt(&mut self, log: &[(u64, u32)], next_seq: u64) {
        for (seq, message) in log {
            let id = self.id();
            self.entries.push((id, Some(*seq), false, false, *message));
        }
        self.in_flight = 0;
        self.next_seq = next_seq.max(1);
    }

    fn renumber(&mut self) {
        self.in_flight = 0;
        self.next_seq = 1;
        self.entries.retain(|e| !e.3);
        self.entries.iter_mut().for_each(|e| e.1 = None);
    }
}

#[derive(Debug, Clone)]
enum Op {
    Push(bool),
    PushFirst(u8),
    /// A flush of an at-most-once session: up to `n` sends, dropping the second when `true`.
    FlushAtMostOnce(u8, bool),
    TakeSequenced,
    Ack(u8),
    AckRewound(u8),
    Rewind,
    Renumber,
    DropNext,
    Adopt(u8, u8),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<bool>().prop_map(Op::Push),
        1 => (0_u8..3).prop_map(Op::PushFirst),
        2 => (0_u8..6, any::<bool>()).prop_map(|(n, drop)| Op::FlushAtMostOnce(n, drop)),
        3 => Just(Op::TakeSequenced),
        2 => (0_u8..40).prop_map(Op::Ack),
        1 => (0_u8..40).prop_map(Op::AckRewound),
        1 => Just(Op::Rewind),
        1 => Just(Op::Renumber),
        1 => Just(Op::DropNext),
        1 => (0_u8..4, 1_u8..30).prop_map(|(n, seq)| Op::Adopt(n, seq)),
        1 => Just(Op::Clear),
    ]
}

fn fields(out: Option<Outgoing<u32>>) -> Option<(u64, Option<u64>, bool, bool, u32)> {
    out.map(|o| (o.id, o.seq, o.receipt, o.fresh, o.message))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn the_outbox_behaves_as_the_plain_queue_it_stands_for(
        ops in proptest::collection::vec(op(), 0..120),
        limit in 1_usize..20,
    ) {
        let mut outbox = Outbox::<u32>::new(limit);
        let mut model = Model::new(limit);
        let mut message = 0_u32;
        let mut next = || {
            message += 1;
            message
        };
        for op in ops {
            match op {
                Op::Push(receipt) => {
                    let m = next();
                    prop_assert_eq!(outbox.push(m, receipt).ok(), model.push(m, receipt));
                }
                Op::PushFirst(n) => {
                    let messages: Vec<u32> = (0..n).map(|_| next()).collect();
                    model.push_first(&messages);
                    outbox.push_first(messages);
                }
                Op::FlushAtMostOnce(n, drop) => {
                    // An at-most-once session numbers nothing: the session switches to one only
                    // on a new connection that did not resume, where it rewinds and renumbers.
                    if model.entries.iter().any(|entry| entry.1.is_some()) {
                        outbox.rewind();
                        outbox.renumber();
                        model.renumber();
                    }
                    for i in 0..n {
                        if drop && i == 1 {
                            prop_assert_eq!(outbox.drop_next(), model.drop_next());
                        }
                        prop_assert_eq!(outbox.next_unsent().copied(), model.entries.get(model.in_flight).map(|e| e.4));
                        prop_assert_eq!(fields(outbox.take_next(false)), model.take_next(false));
                    }
                    outbox.forget_sent();
                }
                Op::TakeSequenced => prop_assert_eq!(fields(outbox.take_next(true)), model.take_next(true)),
                Op::Ack(seq) => prop_assert_eq!(outbox.acknowledge(seq.into()), model.acknowledge(seq.into())),
                Op::AckRewound(seq) => {
                    outbox.rewind();
                    prop_assert_eq!(outbox.acknowledge_rewound(seq.into()), model.acknowledge_rewound(seq.into()));
                }
                Op::Rewind => {
                    outbox.rewind();
                    model.in_flight = 0;
                }
                Op::Renumber => {
                    outbox.renumber();
                    model.renumber();
                }
                Op::DropNext => prop_assert_eq!(outbox.drop_next(), model.drop_next()),
                Op::Adopt(n, first) => {
                    let log: Vec<(u64, u32)> = (0..n).map(|i| (u64::from(first) + u64::from(i), next())).collect();
                    let next_seq = u64::from(first) + u64::from(n);
                    model.adopt(&log, next_seq);
                    outbox.adopt(log, next_seq);
                }
                Op::Clear => {
                    prop_assert_eq!(outbox.clear(), model.entries.len());
                    model.entries.clear();
                    model.in_flight = 0;
                }
            }
            prop_assert_eq!(outbox.len(), model.entries.len());
            prop_assert_eq!(outbox.in_flight(), model.in_flight);
            prop_assert_eq!(outbox.next_id(), model.next_id);
            prop_assert_eq!(outbox.next_unsent().copied(), model.entries.get(model.in_flight).map(|e| e.4));
        }
    }
}
