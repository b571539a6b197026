// SecureWebSocket errors, as the wasm class makes them (an Error with a string `code`), and their
// form on the channel: structured clone keeps an Error's message but drops `code`.

export function sdkError(code, message, serverCode) {
  const error = new Error(message);
  error.name = 'SecureWebSocketError';
  error.code = code;
  if (serverCode !== undefined) error.serverCode = serverCode;
  return error;
}

/** A plain object that crosses the channel. */
export function errorToWire(error) {
  return { code: error?.code ?? 'closed', message: String(error?.message ?? error), serverCode: error?.serverCode };
}

export function errorFromWire(wire) {
  return sdkError(wire.code, wire.message, wire.serverCode);
}

export function closedError() {
  return sdkError('closed', 'the connection is closed');
}
