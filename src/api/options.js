// Reads and checks `new SecureWebSocket(url, options)` in JS, where type checks and messages cost
// nothing in the wasm (issue 14: the Rust reader and its messages were ~9 KB of the binary). It
// returns the compact form `config` in options.rs takes apart by index; the defaults stay in the
// core. The rules and messages are those of the Rust API's builder (src/core/config.rs: `duration`,
// `count`, `check_url`, `Config::validate`), so both faces refuse the same input;
// tests/package/options.test.mjs holds the relations and their words to config.rs's.
import { sdkError } from './events.js';

const DURATION = 2147483647; // the most setTimeout can wait; core::config::MAX_DURATION_MS
const COUNT = 4294967295;
// Where an option lives: the options themselves, `reconnect` or `heartbeat` (its name's prefix).
const PLACES = ['', 'reconnect.', 'heartbeat.'];
// The compact form's numeric slots, in order: [key, place, largest value or 0 for a boolean].
const NUMBERS = [
  ['authTimeoutMs', 0, DURATION],
  ['reauthIntervalMs', 0, DURATION],
  ['reauthTimeoutMs', 0, DURATION],
  ['maxQueuedMessages', 0, COUNT],
  ['maxMessageBytes', 0, COUNT],
  ['baseDelayMs', 1, DURATION],
  ['maxDelayMs', 1, DURATION],
  ['maxAttempts', 1, COUNT],
  ['minUptimeMs', 1, DURATION],
  ['jitter', 1, 0],
  ['intervalMs', 2, DURATION],
  ['timeoutMs', 2, DURATION],
];
// The keys each place accepts: its numbers, and at the top the options that are no number.
const KNOWN = PLACES.map((_, place) => NUMBERS.filter((n) => n[1] === place).map((n) => n[0]));
KNOWN[0].push('tokenUrl', 'getToken', 'reconnect', 'allowInsecure', 'heartbeat', 'subscriptions');
// Query parameters that would put a credential in the URL (core::config::CREDENTIAL_PARAMS).
const CREDENTIAL_PARAMS = [
  'token', 'access_token', 'access-token', 'auth_token', 'id_token', 'refresh_token', 'session_token', 'jwt',
  'authorization', 'auth', 'bearer', 'api_key', 'apikey', 'password', 'passwd', 'secret', 'client_secret',
  'signature', 'sig', 'x-amz-security-token', 'x-amz-signature', 'x-amz-credential',
];
// The hosts plain `ws:` (and an `http:` tokenUrl) may go to without allowInsecure (core::config::LOOPBACK_HOSTS).
const LOOPBACK = ['127.0.0.1', '[::1]', 'localhost'];

// The internal option of a tab that leads a shared connection (js/share/): a symbol key, so no
// JSON options object and no spread of the app's own can carry it by accident, and it is not in
// the typings. Its session id is the server's, never a token: a JWT (with its dots) is refused.
const SHARE = Symbol.for('secure-ws.share');
const SESSION_ID = /^[\w+/=:-]{1,256}$/;
const SEQ = (value) => Number.isSafeInteger(value) && value >= 0;

const refuse = (option, problem, code = 'invalid_options') => {
  throw sdkError(code, `${option}: ${problem}`);
};
const insecure = (problem) => refuse('url', problem, 'insecure_url');

/**
 * `value`'s own properties, each read once, in an object with no prototype: an option inherited
 * from a polluted `Object.prototype` (`allowInsecure`, say) is never read, and a getter cannot
 * answer the check and the use differently.
 */
function object(value, option, known) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse(option, 'must be an object');
  let keys, copy;
  try {
    keys = Object.keys(value);
    copy = Object.assign(Object.create(null), value);
  } catch {
    // A getter or a Proxy trap that throws: a named error, as for any option that cannot be used.
    refuse(option, 'could not be read (a getter or proxy threw)');
  }
  for (const key of keys) if (!known.includes(key)) refuse(option, `unknown option '${key}'`);
  return copy;
}

function typed(value, option, type) {
  if (value !== undefined && typeof value !== type) refuse(option, `must be a ${type}`);
  return value;
}

/**
 * `[href, tokenUrl or getToken, subscriptions, ...NUMBERS]`, an absent value as `undefined` (the
 * core's default; no heartbeat without both of its numbers). Throws the constructor's errors.
 */
export function readOptions(url, given) {
  const options = object(given, 'options', KNOWN[0]);
  const tokenUrl = typed(options.tokenUrl, 'tokenUrl', 'string');
  const getToken = typed(options.getToken, 'getToken', 'function');
  if ((tokenUrl === undefined) === (getToken === undefined)) refuse('tokenUrl', 'give exactly one of tokenUrl or getToken');
  const allowInsecure = typed(options.allowInsecure, 'allowInsecure', 'boolean');
  const href = checkUrl(url, allowInsecure);
  const nested = [options];
  for (const [n, key] of [[1, 'reconnect'], [2, 'heartbeat']]) {
    if (options[key] !== undefined) nested[n] = object(options[key], key, KNOWN[n]);
  }
  const numbers = NUMBERS.map(([key, where, max]) => {
    const option = PLACES[where] + key;
    const value = nested[where]?.[key];
    if (!max) return typed(value, option, 'boolean');
    if (value === undefined) {
      if (where === 2 && nested[2]) refuse(option, 'is required');
      return undefined;
    }
    typed(value, option, 'number');
    if (!Number.isInteger(value) || value < 0 || value > max) refuse(option, `must be a whole number from 0 to ${max}`);
    return value;
  });
  relate(numbers);
  const share = options[SHARE] === undefined ? undefined : readShare(options[SHARE]);
  const source = tokenUrl === undefined ? getToken : checkTokenUrl(tokenUrl, allowInsecure);
  return [href, source, typed(options.subscriptions, 'subscriptions', 'function'), ...numbers, share];
}

/**
 * How the numbers relate, as core::config's `Config::validate` checks them (the Rust API's builder
 * runs that natively, before these), in the same order and words. An absent value is the core's
 * default: `reconnect`'s delays are 1000 and 30000 ms (`ReconnectPolicy::default`).
 */
function relate([authTimeout, , reauthTimeout, maxQueued, maxBytes, baseDelay = 1000, maxDelay = 30000, , , , interval, timeout]) {
  if (authTimeout === 0) refuse('authTimeoutMs', 'must be greater than 0');
  if (reauthTimeout === 0) refuse('reauthTimeoutMs', 'must be greater than 0');
  if (baseDelay > maxDelay) refuse('reconnect.baseDelayMs', 'must not be greater than reconnect.maxDelayMs');
  if (maxQueued === 0) refuse('maxQueuedMessages', 'must be at least 1');
  if (maxBytes === 0) refuse('maxMessageBytes', 'must be at least 1');
  if (interval === 0 || timeout === 0) refuse('heartbeat', 'intervalMs and timeoutMs must be > 0');
}

/**
 * `{ replicate, adopt? }` → `[replicate, sessionId, lastSeq, nextSeq, seqs, texts]` (no adopt:
 * just `[replicate]`). `adopt` is `{ sessionId, lastSeq, nextSeq, log: [[seq, text], …] }`, seqs
 * increasing and below nextSeq; nothing else is accepted.
 */
function readShare(share) {
  const bad = () => refuse('share', 'is internal to shareAcrossTabs');
  share = object(share, 'share', ['replicate', 'adopt']);
  if (typeof share.replicate !== 'function') bad();
  if (share.adopt === undefined) return [share.replicate];
  const { sessionId, lastSeq, nextSeq, log } = object(share.adopt, 'share', ['sessionId', 'lastSeq', 'nextSeq', 'log']);
  if (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId) || !SEQ(lastSeq) || !SEQ(nextSeq) || !Array.isArray(log)) bad();
  let previous = 0;
  for (const entry of log) {
    if (!Array.isArray(entry) || !SEQ(entry[0]) || entry[0] <= previous || entry[0] >= nextSeq || typeof entry[1] !== 'string') bad();
    previous = entry[0];
  }
  return [share.replicate, sessionId, lastSeq, nextSeq, log.map((entry) => entry[0]), log.map((entry) => entry[1])];
}

/**
 * What a relative URL is relative to, as the browser's `WebSocket` and `fetch` resolve one: the
 * document's base URL (a `<base href>`; an about:srcdoc frame's parent), else (a worker) its
 * `location`; undefined where there is no page (a server render).
 */
const pageBase = () => globalThis.document?.baseURI ?? globalThis.location?.href;

/**
 * The browser's parse of a socket URL: as given when it has a scheme; without one (`/ws`,
 * `//host/ws`) the page's, as the WebSocket constructor takes it: `wss:` on an https page, `ws:` on
 * an http one (src/rust_api/url.rs reads it the same way; js/share/'s session names too). Throws
 * when it is neither (no page to be relative to, on a server).
 */
export function pageUrl(url) {
  try {
    return new URL(url);
  } catch {
    const parsed = new URL(url, pageBase());
    const { protocol } = parsed;
    if (protocol === 'https:' || protocol === 'http:') parsed.protocol = protocol === 'https:' ? 'wss:' : 'ws:';
    return parsed;
  }
}

/** `url` read by `pageUrl`, refused as core::config::check_url refuses it; its `href`. */
function checkUrl(url, allowInsecure) {
  let parsed;
  try {
    parsed = pageUrl(url);
  } catch {
    refuse('url', 'is not a valid URL');
  }
  const { protocol, hostname, href } = parsed;
  if (protocol !== 'ws:' && protocol !== 'wss:') insecure('the URL must start with ws:// or wss://');
  if (parsed.username || parsed.password) insecure('the URL must not contain a user name or password');
  // A WebSocket URL has none: browsers refuse it (or drop it), so a session could never connect.
  if (href.includes('#')) refuse('url', 'must not have a fragment (#…): a WebSocket URL has none');
  // Names as a server reads them (percent-decoded, `+` a space): `?%74oken=` is a token too.
  for (const name of parsed.searchParams.keys()) {
    if (CREDENTIAL_PARAMS.includes(name.toLowerCase())) {
      insecure('the URL must not carry a credential; the SDK sends the token in the first message');
    }
  }
  if (protocol === 'ws:' && !LOOPBACK.includes(hostname) && !allowInsecure) {
    insecure('ws:// is only allowed to 127.0.0.1, [::1] or localhost; use wss:// or set allowInsecure');
  }
  return parsed.href;
}

/**
 * `tokenUrl` resolved against the page (`pageBase`), as `fetch` would resolve it then; its `href`.
 * Refused when no fetch could use it (empty, not http(s), a user name or password in it) or when
 * it would carry the token in the clear: plain http to a host that is not loopback, as for `ws:`,
 * unless `allowInsecure`. With no page (a server render), a relative one is left to the
 * constructor's own error. (js/share/'s probe checks a follower's with it too.)
 */
export function checkTokenUrl(tokenUrl, allowInsecure) {
  if (tokenUrl === '') refuse('tokenUrl', 'must not be empty');
  let parsed;
  try {
    parsed = new URL(tokenUrl, pageBase());
  } catch {
    if (pageBase() === undefined) return tokenUrl;
    refuse('tokenUrl', 'is not a valid URL');
  }
  const { protocol, hostname, href } = parsed;
  if (protocol !== 'https:' && protocol !== 'http:') refuse('tokenUrl', 'must start with https:// or http://');
  if (parsed.username || parsed.password) refuse('tokenUrl', 'must not contain a user name or password', 'insecure_url');
  if (protocol === 'http:' && !LOOPBACK.includes(hostname) && !allowInsecure) {
    refuse('tokenUrl', 'http:// is only allowed to 127.0.0.1, [::1] or localhost; use https:// or set allowInsecure', 'insecure_url');
  }
  return href;
}
