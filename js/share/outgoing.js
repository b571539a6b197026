// What send() checks before anything is queued, in a tab that holds no wasm socket: the wasm
// class's rules (SecureWebSocket.send), with the same codes, messages and defaults, so that a
// follower throws exactly where the leader would.
import { messageText } from '../../pkg/events.js';
import { closedError, sendError } from './errors.js';

/** The limits of these options, with the SDK's defaults. */
export function limitsOf(options) {
  // Here, not at the top of the module: esbuild puts a function's constants in place of their
  // names, but keeps those of a module that imports anything as variables (issue 14).
  const DEFAULT_MAX_QUEUED_MESSAGES = 1000;
  const DEFAULT_MAX_MESSAGE_BYTES = 10240;
  return {
    maxQueuedMessages: options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  };
}

/**
 * The JSON text of `data`, or throws what SecureWebSocket.send would, in its order:
 * `invalid_message`, `closed` (`closed`: this tab ended), `message_too_large` (over `limits`' or
 * `serverLimit`, the leader's server's own, as the class checks it once authenticated),
 * `queue_full` (`queued`: this tab's unconfirmed sends).
 */
export function outgoingText(data, limits, serverLimit, closed, queued) {
  const text = messageText(data);
  if (closed) throw closedError();
  const bytes = new TextEncoder().encode(text).length;
  const maxBytes = Math.min(limits.maxMessageBytes, serverLimit);
  if (bytes > maxBytes) throw sendError(1, bytes, maxBytes);
  if (queued >= limits.maxQueuedMessages) throw sendError(0, 0, limits.maxQueuedMessages);
  return text;
}
