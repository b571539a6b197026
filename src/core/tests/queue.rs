//! Tests of `core::queue`.

use crate::core::{queue::*, *};

#[test]
fn keeps_order_and_refuses_beyond_the_limit() {
    let mut queue: SendQueue<String> = SendQueue::new(2);
    queue.push("a".into()).unwrap();
    queue.push("b".into()).unwrap();
    assert_eq!(queue.push("c".into()), Err(SendError::QueueFull { limit: 2 }));
    assert_eq!(queue.drain().collect::<Vec<_>>(), ["a", "b"]);
    assert!(queue.is_empty());
}
