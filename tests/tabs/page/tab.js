// One tab of the app, driven by the tests through page.evaluate: `start(options)` makes the socket
// and records what this tab sees in `window.seen`.
import { SecureWebSocket } from '/js/index.js';
import { login } from '/login.js';

const EVENTS = ['state', 'authenticated', 'message', 'reconnecting', 'close', 'error', 'resync'];

window.seen = { states: [], messages: [], errors: [], authenticated: [], resyncs: 0 };
/** Tokens this tab's getToken fetched: a follower's stays empty. */
window.tokens = [];

window.login = login;

/** The token endpoint through a getToken of the test's own, so the test knows every token. */
async function getToken({ signal }) {
  const response = await fetch('/api/ws-token', { method: 'POST', credentials: 'include', signal });
  if (response.status === 401 || response.status === 403) throw { code: 'unauthorized' };
  if (!response.ok) throw new Error(`token endpoint: ${response.status}`);
  const { wsToken } = await response.json();
  window.tokens.push(wsToken);
  return wsToken;
}

/** `tokenSource`: 'getToken' (recorded) or 'tokenUrl'; `url`; the rest are SecureWebSocket options. */
window.start = ({ tokenSource = 'getToken', url = `ws://${location.host}/ws`, ...options } = {}) => {
  const source = tokenSource === 'tokenUrl' ? { tokenUrl: `${location.origin}/api/ws-token` } : { getToken };
  const ws = new SecureWebSocket(url, { ...source, ...options });
  window.ws = ws;
  for (const type of EVENTS) {
    ws.on(type, (payload) => {
      if (type === 'state') window.seen.states.push(payload);
      else if (type === 'message') window.seen.messages.push(payload);
      else if (type === 'error') window.seen.errors.push(payload.code);
      else if (type === 'authenticated') window.seen.authenticated.push(payload);
      else if (type === 'resync') window.seen.resyncs += 1;
    });
  }
  return ws.sharing;
};

/** What a synchronous send throws, as its code, or null. */
window.trySend = (data) => {
  try {
    window.ws.send(data);
    return null;
  } catch (error) {
    return error.code;
  }
};

/** What a synchronous sendWithReceipt throws, as its code, or null; `window.receipts` gets the
 * receipt's outcome ('confirmed' or its rejection's code) once it settles. */
window.receipts = [];
window.tryReceipt = (data) => {
  try {
    window.ws.sendWithReceipt(data).then(
      () => window.receipts.push('confirmed'),
      (error) => window.receipts.push(error.code),
    );
    return null;
  } catch (error) {
    return error.code;
  }
};

/** Resolves once `check()` holds (checked every 20 ms), rejects after `timeoutMs`: for WebDriver, which has no waitForFunction. */
window.until = (check, timeoutMs = 10_000) =>
  new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = () => {
      if (check()) resolve(true);
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${check}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
