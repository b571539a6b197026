//! The application messages, each validated against a typed schema: rooms, messages, and
//! deleting one's own message. What clients are told is a generic code; details go to the log.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    time::{SystemTime, UNIX_EPOCH},
};

use serde::Deserialize;
use serde_json::{json, Value};

/// Longest message content, in characters.
pub const MAX_CONTENT_CHARS: usize = 1000;
/// Longest room name.
pub const MAX_ROOM_CHARS: usize = 64;

/// A client's application message.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChatMessage {
    /// Start receiving a room's messages.
    JoinRoom {
        /// The room.
        room: String,
    },
    /// Stop receiving them.
    LeaveRoom {
        /// The room.
        room: String,
    },
    /// Say something to a room one has joined.
    SendMessage {
        /// The room.
        room: String,
        /// At most [`MAX_CONTENT_CHARS`] characters, not blank.
        content: String,
    },
    /// Delete one's own message.
    DeleteMessage {
        /// The room.
        room: String,
        /// The id the server gave the message.
        #[serde(rename = "messageId")]
        message_id: String,
    },
}

/// Why a chat message was refused: the code the client sees (`error` frame), and the detail only
/// the log sees.
#[derive(Debug, PartialEq)]
pub struct Refusal {
    /// Generic code for the client.
    pub code: &'static str,
    /// Internal detail for the log.
    pub detail: String,
}

impl Refusal {
    fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self { code, detail: detail.into() }
    }

    /// The `error` frame for the client: a code and a fixed message, never the detail.
    pub fn frame(&self) -> String {
        let message = match self.code {
            "invalid_message" => "the message does not match the schema",
            "not_in_room" => "join the room first",
            "not_found" => "no such message",
            "permission_denied" => "you can only delete your own messages",
            "too_many_rooms" => "you are in too many rooms",
            _ => "request refused",
        };
        json!({"type": "error", "code": self.code, "message": message}).to_string()
    }
}

/// Parses and validates a frame that is neither `auth`, `reauth`, `ping` nor `echo`.
pub fn parse(frame: &Value) -> Result<ChatMessage, Refusal> {
    let message: ChatMessage =
        serde_json::from_value(frame.clone()).map_err(|e| Refusal::new("invalid_message", e.to_string()))?;
    let room = match &message {
        ChatMessage::JoinRoom { room }
        | ChatMessage::LeaveRoom { room }
        | ChatMessage::SendMessage { room, .. }
        | ChatMessage::DeleteMessage { room, .. } => room,
    };
    let valid_room = !room.is_empty()
        && room.chars().count() <= MAX_ROOM_CHARS
        && room.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid_room {
        return Err(Refusal::new("invalid_message", "bad room name"));
    }
    if let ChatMessage::SendMessage { content, .. } = &message {
        if content.trim().is_empty() || content.chars().count() > MAX_CONTENT_CHARS {
            return Err(Refusal::new("invalid_message", "content empty or too long"));
        }
    }
    Ok(message)
}

/// Messages whose author and room are remembered (for `delete_message`), oldest forgotten first:
/// a message older than the last this many can no longer be deleted (`not_found`).
pub const REMEMBERED_MESSAGES: usize = 10_000;

/// Rooms and their members (connection ids, or session member ids), the rooms of each member,
/// and the author and room of recent messages.
///
/// Every operation costs in proportion to what it touches: a member's disconnect walks that
/// member's own rooms (at most `max_rooms` of them), never every room on the server.
#[derive(Debug)]
pub struct Rooms {
    members: HashMap<String, HashSet<u64>>,
    joined: HashMap<u64, HashSet<String>>,
    messages: HashMap<String, Authored>,
    message_order: VecDeque<String>,
    max_rooms: usize,
}

/// Who wrote a message, and where.
#[derive(Debug)]
struct Authored {
    author: String,
    room: String,
}

impl Default for Rooms {
    fn default() -> Self {
        Self::new(crate::config::Limits::default().rooms_per_client)
    }
}

/// Frames to deliver: (connection id, text).
pub type Deliveries = Vec<(u64, String)>;

impl Rooms {
    /// No rooms yet; each member may be in at most `max_rooms` at once.
    pub fn new(max_rooms: usize) -> Self {
        Self {
            members: HashMap::new(),
            joined: HashMap::new(),
            messages: HashMap::new(),
            message_order: VecDeque::new(),
            max_rooms,
        }
    }

    /// Applies `message` from `connection` (user `user`) and says who receives what.
    pub fn apply(
        &mut self,
        connection: u64,
        user: &str,
        message: ChatMessage,
    ) -> Result<Deliveries, Refusal> {
        match message {
            ChatMessage::JoinRoom { room } => {
                let rooms = self.joined.entry(connection).or_default();
                if !rooms.contains(&room) {
                    if rooms.len() >= self.max_rooms {
                        return Err(Refusal::new(
                            "too_many_rooms",
                            format!("connection {connection} is in {} rooms", rooms.len()),
                        ));
                    }
                    rooms.insert(room.clone());
                    self.members.entry(room.clone()).or_default().insert(connection);
                }
                Ok(vec![(connection, json!({"type": "joined", "room": room}).to_string())])
            }
            ChatMessage::LeaveRoom { room } => {
                if let Some(rooms) = self.joined.get_mut(&connection) {
                    rooms.remove(&room);
                    if rooms.is_empty() {
                        self.joined.remove(&connection);
                    }
                }
                self.leave(connection, &room);
                Ok(vec![(connection, json!({"type": "left", "room": room}).to_string())])
            }
            ChatMessage::SendMessage { room, content } => {
                self.require_member(connection, &room)?;
                let id = uuid::Uuid::new_v4().to_string();
                self.remember(&id, user, &room);
                let text = json!({
                    "type": "message", "room": room, "id": id, "sender": user,
                    "content": content, "timestamp": now_millis(),
                })
                .to_string();
                Ok(self.to_room(&room, &text))
            }
            ChatMessage::DeleteMessage { room, message_id } => {
                self.require_member(connection, &room)?;
                match self.messages.get(&message_id) {
                    // A message of another room is "not found" here: deleting it from a room it
                    // is not in would tell that room's members about it, and the one it is in
                    // nothing.
                    None => Err(Refusal::new("not_found", "no such message")),
                    Some(message) if message.room != room => {
                        Err(Refusal::new("not_found", "message of another room"))
                    }
                    Some(message) if message.author != user => Err(Refusal::new(
                        "permission_denied",
                        format!("{user} tried to delete a message of {}", message.author),
                    )),
                    Some(_) => {
                        self.messages.remove(&message_id);
                        let text = json!({"type": "message_deleted", "room": room, "messageId": message_id});
                        Ok(self.to_room(&room, &text.to_string()))
                    }
                }
            }
        }
    }

    /// Forgets a closed connection (or an ended session): it leaves each of its rooms.
    pub fn disconnect(&mut self, connection: u64) {
        for room in self.joined.remove(&connection).into_iter().flatten() {
            self.leave(connection, &room);
        }
    }

    /// The rooms `member` is in.
    pub fn rooms_of(&self, member: u64) -> usize {
        self.joined.get(&member).map_or(0, HashSet::len)
    }

    /// How many rooms have members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether no room has a member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    fn remember(&mut self, id: &str, author: &str, room: &str) {
        self.messages.insert(id.to_owned(), Authored { author: author.to_owned(), room: room.to_owned() });
        self.message_order.push_back(id.to_owned());
        while self.message_order.len() > REMEMBERED_MESSAGES {
            if let Some(oldest) = self.message_order.pop_front() {
                self.messages.remove(&oldest);
            }
        }
    }

    fn leave(&mut self, connection: u64, room: &str) {
        if let Some(members) = self.members.get_mut(room) {
            members.remove(&connection);
            if members.is_empty() {
                self.members.remove(room);
            }
        }
    }

    fn require_member(&self, connection: u64, room: &str) -> Result<(), Refusal> {
        if self.members.get(room).is_some_and(|m| m.contains(&connection)) {
            Ok(())
        } else {
            Err(Refusal::new("not_in_room", format!("connection {connection} not in {room}")))
        }
    }

    fn to_room(&self, room: &str, text: &str) -> Deliveries {
        self.members.get(room).into_iter().flatten().map(|id| (*id, text.to_owned())).collect()
    }
}

fn now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(value: Value) -> ChatMessage {
        parse(&value).unwrap()
    }

    #[test]
    fn the_schema_refuses_unknown_fields_types_and_bad_values() {
        for bad in [
            json!({"type": "send_message", "room": "a", "content": "hi", "extra": 1}),
            json!({"type": "send_message", "room": "a"}),
            json!({"type": "send_message", "room": "a", "content": 7}),
            json!({"type": "send_message", "room": "a", "content": "x".repeat(MAX_CONTENT_CHARS + 1)}),
            json!({"type": "send_message", "room": "a", "content": "   "}),
            json!({"type": "join_room", "room": "../etc"}),
            json!({"type": "join_room", "room": ""}),
            json!({"type": "shout", "room": "a"}),
        ] {
            assert_eq!(parse(&bad).unwrap_err().code, "invalid_message", "{bad}");
        }
        assert!(parse(
            &json!({"type": "send_message", "room": "a", "content": "é".repeat(MAX_CONTENT_CHARS)})
        )
        .is_ok());
    }

    #[test]
    fn messages_reach_every_member_of_the_room_only() {
        let mut rooms = Rooms::default();
        rooms.apply(1, "alice", message(json!({"type": "join_room", "room": "general"}))).unwrap();
        rooms.apply(2, "bob", message(json!({"type": "join_room", "room": "general"}))).unwrap();
        rooms.apply(3, "carol", message(json!({"type": "join_room", "room": "other"}))).unwrap();
        let out = rooms.apply(
            1,
            "alice",
            message(json!({"type": "send_message", "room": "general", "content": "hi"})),
        );
        let mut receivers: Vec<u64> = out.unwrap().iter().map(|(id, _)| *id).collect();
        receivers.sort_unstable();
        assert_eq!(receivers, [1, 2]);
    }

    #[test]
    fn only_the_author_may_delete_a_message() {
        let mut rooms = Rooms::default();
        rooms.apply(1, "alice", message(json!({"type": "join_room", "room": "r"}))).unwrap();
        rooms.apply(2, "bob", message(json!({"type": "join_room", "room": "r"}))).unwrap();
        let sent =
            rooms.apply(1, "alice", message(json!({"type": "send_message", "room": "r", "content": "mine"})));
        let frame: Value = serde_json::from_str(&sent.unwrap()[0].1).unwrap();
        let id = frame["id"].as_str().unwrap();
        let delete = json!({"type": "delete_message", "room": "r", "messageId": id});
        let refusal = rooms.apply(2, "bob", message(delete.clone())).unwrap_err();
        assert_eq!(refusal.code, "permission_denied");
        assert!(!refusal.frame().contains("alice"), "the client is not told internals");
        assert_eq!(rooms.apply(1, "alice", message(delete.clone())).unwrap().len(), 2);
        assert_eq!(rooms.apply(1, "alice", message(delete)).unwrap_err().code, "not_found");
    }

    #[test]
    fn sending_needs_membership_and_disconnect_leaves_every_room() {
        let mut rooms = Rooms::default();
        let send = json!({"type": "send_message", "room": "r", "content": "hi"});
        assert_eq!(rooms.apply(1, "alice", message(send.clone())).unwrap_err().code, "not_in_room");
        rooms.apply(1, "alice", message(json!({"type": "join_room", "room": "r"}))).unwrap();
        rooms.disconnect(1);
        assert_eq!(rooms.apply(1, "alice", message(send)).unwrap_err().code, "not_in_room");
    }

    #[test]
    fn a_member_joins_at_most_max_rooms_and_disconnect_leaves_only_its_own() {
        let mut rooms = Rooms::new(2);
        for room in ["a", "b", "a"] {
            rooms.apply(1, "alice", message(json!({"type": "join_room", "room": room}))).unwrap();
        }
        let third = rooms.apply(1, "alice", message(json!({"type": "join_room", "room": "c"})));
        assert_eq!(third.unwrap_err().code, "too_many_rooms");
        rooms.apply(1, "alice", message(json!({"type": "leave_room", "room": "a"}))).unwrap();
        rooms.apply(1, "alice", message(json!({"type": "join_room", "room": "c"}))).unwrap();
        rooms.apply(2, "bob", message(json!({"type": "join_room", "room": "c"}))).unwrap();
        rooms.disconnect(1);
        assert_eq!((rooms.rooms_of(1), rooms.rooms_of(2), rooms.len()), (0, 1, 1));
    }

    #[test]
    fn a_message_is_deleted_only_from_its_own_room() {
        let mut rooms = Rooms::default();
        for room in ["a", "b"] {
            rooms.apply(1, "alice", message(json!({"type": "join_room", "room": room}))).unwrap();
        }
        let sent =
            rooms.apply(1, "alice", message(json!({"type": "send_message", "room": "a", "content": "x"})));
        let frame: Value = serde_json::from_str(&sent.unwrap()[0].1).unwrap();
        let id = frame["id"].as_str().unwrap();
        let elsewhere = json!({"type": "delete_message", "room": "b", "messageId": id});
        assert_eq!(rooms.apply(1, "alice", message(elsewhere)).unwrap_err().code, "not_found");
        let here = json!({"type": "delete_message", "room": "a", "messageId": id});
        assert!(rooms.apply(1, "alice", message(here)).is_ok());
    }

    #[test]
    fn only_the_most_recent_messages_are_remembered() {
        let mut rooms = Rooms::default();
        rooms.apply(1, "alice", message(json!({"type": "join_room", "room": "r"}))).unwrap();
        let send = json!({"type": "send_message", "room": "r", "content": "x"});
        let first = rooms.apply(1, "alice", message(send.clone())).unwrap();
        let first: Value = serde_json::from_str(&first[0].1).unwrap();
        for _ in 0..REMEMBERED_MESSAGES {
            rooms.apply(1, "alice", message(send.clone())).unwrap();
        }
        assert_eq!(rooms.messages.len(), REMEMBERED_MESSAGES);
        let delete = json!({"type": "delete_message", "room": "r", "messageId": first["id"]});
        assert_eq!(rooms.apply(1, "alice", message(delete)).unwrap_err().code, "not_found");
    }
}
