// Sends made before the socket exists: a child's effect runs before its parent's, and the hook
// creates its socket in its own effect. They are checked as SecureWebSocket.send checks them
// (same codes, same defaults: tests/frameworks/hook.test.mjs compares the two), kept in order,
// and handed to the socket as soon as it exists, ahead of any later send.
const DEFAULT_MAX_QUEUED_MESSAGES = 1000;
const DEFAULT_MAX_MESSAGE_BYTES = 10240;

function sdkError(code, message) {
  const error = new Error(message);
  error.name = 'SecureWebSocketError';
  error.code = code;
  return error;
}

/** Appends `data`'s JSON text to `queue`, or throws what SecureWebSocket.send would. */
export function enqueue(queue, data, options) {
  let text;
  try {
    text = JSON.stringify(data);
  } catch {
    // cycles and BigInts: the SDK's own check below covers the rest
  }
  if (typeof text !== 'string') throw sdkError('invalid_message', 'send() needs a JSON-serialisable value');
  const limit = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > limit) throw sdkError('message_too_large', `message is ${bytes} bytes, over the limit of ${limit}`);
  const max = options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES;
  if (queue.length >= max) throw sdkError('queue_full', `send queue is full (${max} messages waiting)`);
  queue.push(text);
}
