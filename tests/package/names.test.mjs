// js/share/names.js: the name a shared session is known by (its Web Lock and BroadcastChannel).
// Tabs that spell one socket URL differently must meet under one name, or each would open its own
// socket: a URL without a scheme is the page's (`ws(s):` for `http(s):`), as options.js reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';

const { sessionName } = await import(join(repo, 'js/share/names.js'));

test("one socket URL, however spelt, is one session name; another URL or key is another", () => {
  globalThis.location = { href: 'https://app.example.com/chat/' };
  try {
    const name = sessionName(true, 'wss://app.example.com/ws');
    assert.equal(sessionName(true, 'WSS://App.Example.com/ws'), name);
    assert.equal(sessionName(true, '/ws'), name);
    assert.equal(sessionName(true, '//app.example.com/ws'), name);
    assert.notEqual(sessionName(true, '/other'), name);
    assert.notEqual(sessionName('room-2', '/ws'), name);
  } finally {
    delete globalThis.location;
  }
  globalThis.location = { href: 'http://127.0.0.1:8080/' };
  try {
    assert.equal(sessionName(true, '/ws'), sessionName(true, 'ws://127.0.0.1:8080/ws'));
  } finally {
    delete globalThis.location;
  }
});
