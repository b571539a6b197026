// Sends made before the socket exists: a child's effect runs before its parent's, and the hook
// creates its socket in its own effect. They are checked by the rules a tab without a wasm socket
// of its own uses (js/share/outgoing.js: SecureWebSocket.send's codes, messages and defaults;
// tests/frameworks/hook.test.mjs compares the two), kept in order, and handed to the socket as
// soon as it exists, ahead of any later send.
import { limitsOf, outgoingText } from '../js/share/outgoing.js';

/** Appends `data`'s JSON text to `queue`, or throws what SecureWebSocket.send would. */
export function enqueue(queue, data, options) {
  queue.push(outgoingText(data, limitsOf(options), Infinity, false, queue.length));
}
