// SecureWebSocket errors, made by the class's own sdkError and sendError (src/api/events.js,
// re-exported by scripts/build.sh), and their form on the channel: structured clone keeps an
// Error's message but drops `code`.
import { sdkError, sendError } from '../../pkg/events.js';

export { sdkError, sendError };

/** A plain object that crosses the channel. */
export function errorToWire(error) {
  return { code: error?.code ?? 'closed', message: String(error?.message ?? error), serverCode: error?.serverCode };
}

/** Never throws: a malformed message on the channel must not break the tab that reads it. */
export function errorFromWire(wire) {
  return sdkError(wire?.code ?? 'closed', wire?.message, wire?.serverCode);
}

export function closedError() {
  return sendError(2);
}
