// src/api/options.js, the npm class's URL check (the Rust API's is core::config::check_url; a
// core test keeps their lists equal): every URL that would carry a credential is refused with
// `insecure_url` before anything is opened, whatever its spelling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
