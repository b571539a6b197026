// A shared socket's constructor throws what the class's throws for the same options, whichever
// tab leads (js/share/probe.js): the package as built, in Node, where Web Locks are missing and the
// tab would get a socket of its own only after the check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';
import './stand-in.mjs';

const { SecureWebSocket } = await import(join(repo, 'js/index.js'));

const code = (options) => {
  try {
    new SecureWebSocket('wss://api.example.com/ws', options).free();
  } catch (error) {
    return error.code;
  }
  return null;
};

test('a bad tokenUrl throws at construction with shareAcrossTabs as without it', () => {
  for (const tokenUrl of ['', 'javascript:void 0', 'https://user:pw@api.example.com/t', 'http://api.example.com/t']) {
    const alone = code({ tokenUrl });
    assert.ok(alone === 'invalid_options' || alone === 'insecure_url', `${tokenUrl}: ${alone}`);
    assert.equal(code({ tokenUrl, shareAcrossTabs: true }), alone, tokenUrl);
  }
  assert.equal(code({ tokenUrl: 'http://api.example.com/t', allowInsecure: true, shareAcrossTabs: true }), null);
  assert.equal(code({ tokenUrl: 'https://api.example.com/t', shareAcrossTabs: true }), null);
});
