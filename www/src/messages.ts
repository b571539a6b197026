// The chat protocol of the test server (tests/server/src/chat.rs), as the demo's types: the
// hook's generics carry them through `send`, the `message` handler and `lastMessage`.

/** A chat line as the server broadcasts it to a room. */
export interface ChatLine {
  id: string;
  sender: string;
  content: string;
  timestamp: number;
}

/** What the server sends the demo. */
export type ServerMessage =
  | ({ type: 'message'; room: string } & ChatLine)
  | { type: 'message_deleted'; room: string; messageId: string }
  | { type: 'joined' | 'left'; room: string };

/** What the demo sends the server. */
export type ClientMessage =
  | { type: 'join_room' | 'leave_room'; room: string }
  | { type: 'send_message'; room: string; content: string }
  | { type: 'delete_message'; room: string; messageId: string };
