// src/api/options.js, the npm class's URL check (the Rust API's is core::config::check_url; a
// core test keeps their lists equal): every URL that would carry a credential is refused with
// `insecure_url` before anything is opened, whatever its spelling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';

const { readOptions } = await import(join(repo, 'src/api/options.js'));
const options = { getToken: () => 'token' };

const refusal = (url) => {
  try {
    readOptions(url, options);
  } catch (error) {
    return error.code;
  }
  return null;
};

test('a credential in the URL, as a query parameter or as user info, is refused as insecure_url', () => {
  for (const url of [
    'wss://example.com/ws?token=t',
    'wss://example.com/ws?ACCESS_TOKEN=t',
    'wss://example.com/ws?room=1&access-token=t',
    'wss://example.com/ws?auth_token=t',
    'wss://example.com/ws?refresh_token=t',
    'wss://example.com/ws?jwt=t',
    'wss://example.com/ws?Authorization=Bearer%20t',
    'wss://example.com/ws?auth=t',
    'wss://example.com/ws?apiKey=t',
    'wss://example.com/ws?api_key=t',
    'wss://example.com/ws?%74oken=t',
    'wss://user:secret@example.com/ws',
    'wss://user@example.com/ws',
    'ws://example.com/ws',
    'https://example.com/ws',
  ]) {
    assert.equal(refusal(url), 'insecure_url', url);
  }
});

test('a URL without a credential is taken as it is', () => {
  for (const url of ['wss://example.com/ws?room=general&tokenized=1', 'ws://127.0.0.1:8080/ws', 'ws://[::1]/ws', 'ws://localhost/ws']) {
    assert.equal(refusal(url), null, url);
  }
});

// How the numbers relate: options.js refuses what core::config's `Config::validate` refuses (the
// Rust API's builder runs that natively), with the same words, in the same order, against the
// core's defaults where a value is absent. The npm wasm no longer checks them (issue 14).
const config = readFileSync(join(repo, 'src/core/config.rs'), 'utf8');
const message = (given) => {
  try {
    readOptions('wss://example.com/ws', { ...options, ...given });
  } catch (error) {
    return `${error.code} ${error.message}`;
  }
  return null;
};

test("values that do not fit together are refused as Config::validate refuses them, in its words and order", () => {
  // Its checks, in order: each `ConfigError::new("option", "problem")` of `fn validate`.
  const validate = config.match(/pub fn validate\(self\)[\s\S]*?\n {4}\}\n/)?.[0];
  assert.ok(validate, 'config.rs has no Config::validate');
  const rust = [...validate.matchAll(/ConfigError::new\(\s*"([^"]+)",\s*"([^"]+)",?\s*\)/g)].map(([, o, p]) => `invalid_options ${o}: ${p}`);
  // One case per check, in the same order.
  const cases = [
    { authTimeoutMs: 0 },
    { reauthTimeoutMs: 0 },
    { reconnect: { baseDelayMs: 10, maxDelayMs: 5 } },
    { maxQueuedMessages: 0 },
    { maxMessageBytes: 0 },
    { heartbeat: { intervalMs: 0, timeoutMs: 5 } },
  ];
  assert.deepEqual(cases.map(message), rust);
  assert.equal(message({ heartbeat: { intervalMs: 5, timeoutMs: 0 } }), rust[5]);
  // The first failing check wins, as in validate.
  assert.equal(message({ maxMessageBytes: 0, authTimeoutMs: 0 }), rust[0]);
  for (const fine of [{ authTimeoutMs: 1 }, { maxQueuedMessages: 1 }, { reconnect: { baseDelayMs: 5, maxDelayMs: 5 } }, { heartbeat: { intervalMs: 1, timeoutMs: 1 } }]) {
    assert.equal(message(fine), null, JSON.stringify(fine));
  }
});

test('a delay given alone is held to the core default of the other one', () => {
  const defaults = config.match(/Self \{ base_delay_ms: ([\d_]+), max_delay_ms: ([\d_]+),/);
  assert.ok(defaults, "config.rs's ReconnectPolicy::default changed shape");
  const [base, max] = [defaults[1], defaults[2]].map((n) => Number(n.replaceAll('_', '')));
  const refused = 'invalid_options reconnect.baseDelayMs: must not be greater than reconnect.maxDelayMs';
  assert.equal(message({ reconnect: { baseDelayMs: max } }), null);
  assert.equal(message({ reconnect: { baseDelayMs: max + 1 } }), refused);
  assert.equal(message({ reconnect: { maxDelayMs: base } }), null);
  assert.equal(message({ reconnect: { maxDelayMs: base - 1 } }), refused);
});

// A URL without a scheme is the page's, as the WebSocket constructor takes one (WHATWG): `wss:` on
// an https page, `ws:` on an http one, and then held to the same rules as any other.
// `page` is the page's `location`; `baseURI`, when given, its document's base URL (a `<base href>`).
const hrefOn = (page, url, given = options, at = 0, baseURI) => {
  globalThis.location = { href: page };
  if (baseURI) globalThis.document = { baseURI };
  try {
    return readOptions(url, given)[at];
  } catch (error) {
    return error.code;
  } finally {
    delete globalThis.location;
    delete globalThis.document;
  }
};

test("a URL without a scheme is the page's: wss on an https page, ws on an http one, under the same rules", () => {
  assert.equal(hrefOn('https://app.example.com/chat/', '/ws'), 'wss://app.example.com/ws');
  assert.equal(hrefOn('https://app.example.com/chat/', 'ws'), 'wss://app.example.com/chat/ws');
  assert.equal(hrefOn('https://app.example.com/', '//api.example.com/ws?room=1'), 'wss://api.example.com/ws?room=1');
  assert.equal(hrefOn('http://127.0.0.1:8080/', '/ws'), 'ws://127.0.0.1:8080/ws');
  // Plain ws to a host that is not loopback, and a credential in the query: refused as ever.
  assert.equal(hrefOn('http://app.example.com/', '/ws'), 'insecure_url');
  assert.equal(hrefOn('http://app.example.com/', '/ws', { ...options, allowInsecure: true }), 'ws://app.example.com/ws');
  assert.equal(hrefOn('https://app.example.com/', '/ws?access_token=t'), 'insecure_url');
  // A scheme given is the one used: an https URL is no WebSocket URL, whatever the page.
  assert.equal(hrefOn('https://app.example.com/', 'https://app.example.com/ws'), 'insecure_url');
  // Where there is no page (a server render), a URL without a scheme means nothing.
  assert.equal(refusal('/ws'), 'invalid_options');
});

test('presigned and password-like query parameters are credentials too', () => {
  for (const query of ['password=p', 'passwd=p', 'secret=s', 'client_secret=s', 'session_token=t', 'bearer=t', 'sig=s',
    'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=c&X-Amz-Signature=s', 'X-Amz-Security-Token=t', 'signature=s']) {
    assert.equal(refusal(`wss://example.com/ws?${query}`), 'insecure_url', query);
  }
});

test('plain ws only to loopback as the URL parser writes it: no look-alike host passes', () => {
  for (const url of ['ws://localhost./ws', 'ws://127.0.0.2/ws', 'ws://[::ffff:127.0.0.1]/ws', 'ws://sub.localhost/ws',
    'ws://127.0.0.1.nip.io/ws', 'ws://0.0.0.0/ws', 'ws://[::]/ws']) {
    assert.equal(refusal(url), 'insecure_url', url);
  }
  // Spellings the parser writes as loopback are loopback.
  for (const url of ['ws://LOCALHOST/ws', 'ws://[0:0:0:0:0:0:0:1]/ws', 'ws://2130706433/ws']) {
    assert.equal(refusal(url), null, url);
  }
});

test('options whose getter or proxy throws are refused as invalid_options, never a bare TypeError', () => {
  const throwing = { get getToken() { throw new TypeError('boom'); } };
  const proxy = new Proxy({}, { ownKeys() { throw new RangeError('boom'); } });
  const nested = { getToken: () => 't', reconnect: { get baseDelayMs() { throw new Error('boom'); } } };
  for (const given of [throwing, proxy, nested]) {
    assert.throws(() => readOptions('wss://example.com/ws', given), (error) => error.code === 'invalid_options' && /could not be read/.test(error.message));
  }
});

const tokenUrlOn = (page, tokenUrl, extra = {}) => hrefOn(page, 'wss://api.example.com/ws', { tokenUrl, ...extra }, 1);

test('tokenUrl is resolved against the page, and refused where no fetch could use it or it would carry the token in the clear', () => {
  assert.equal(tokenUrlOn('https://app.example.com/chat/', '/api/ws-token'), 'https://app.example.com/api/ws-token');
  assert.equal(tokenUrlOn('https://app.example.com/chat/', 'https://auth.example.com/t?x=1'), 'https://auth.example.com/t?x=1');
  assert.equal(tokenUrlOn('http://127.0.0.1:8080/', '/api/ws-token'), 'http://127.0.0.1:8080/api/ws-token');
  assert.equal(tokenUrlOn('https://app.example.com/', ''), 'invalid_options');
  assert.equal(tokenUrlOn('https://app.example.com/', 'javascript:void 0'), 'invalid_options');
  assert.equal(tokenUrlOn('https://app.example.com/', 'ftp://app.example.com/t'), 'invalid_options');
  assert.equal(tokenUrlOn('https://app.example.com/', 'https://user:secret@app.example.com/t'), 'insecure_url');
  assert.equal(tokenUrlOn('https://app.example.com/', 'http://app.example.com/t'), 'insecure_url');
  assert.equal(tokenUrlOn('https://app.example.com/', 'http://app.example.com/t', { allowInsecure: true }), 'http://app.example.com/t');
  assert.equal(tokenUrlOn('http://192.168.1.20:3000/', '/api/ws-token'), 'insecure_url');
});

test('relative URLs resolve as fetch and WebSocket resolve them: against the document base URL, not location', () => {
  // An Angular app's <base href="/">, its router at /orders/42.
  assert.equal(hrefOn('https://app.example/orders/42', 'ws', { tokenUrl: 'api/ws-token' }, 0, 'https://app.example/'), 'wss://app.example/ws');
  assert.equal(hrefOn('https://app.example/orders/42', 'ws', { tokenUrl: 'api/ws-token' }, 1, 'https://app.example/'), 'https://app.example/api/ws-token');
  // An about:srcdoc frame: its base is its parent's.
  assert.equal(hrefOn('about:srcdoc', '/ws', { tokenUrl: '/api/ws-token' }, 1, 'https://app.example/embed'), 'https://app.example/api/ws-token');
  assert.equal(hrefOn('about:srcdoc', '/ws', { tokenUrl: '/api/ws-token' }, 0, 'https://app.example/embed'), 'wss://app.example/ws');
});
