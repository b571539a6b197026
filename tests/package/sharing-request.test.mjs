// js/share/index.js: the `shareAcrossTabs` option is read before the class sees the options, and
// the options are read as the class reads them: own properties only, each exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repo } from '../support/browser.mjs';

// A fresh instance of the module for each test: V8 read an option twice only on a function's
// first, cold calls, so each test makes the first call of its own.
let instances = 0;
const fresh = async () => (await import(`${pathToFileURL(join(repo, 'js/share/index.js'))}?instance=${++instances}`)).sharingRequest;

/** Options whose every property is a getter that counts its reads. */
function counted(values) {
  const reads = {};
  const options = {};
  for (const [key, value] of Object.entries(values)) {
    reads[key] = 0;
    Object.defineProperty(options, key, { enumerable: true, get: () => ((reads[key] += 1), value) });
  }
  return { options, reads };
}

test('a shared socket gets a copy of the options: each getter is read once, whatever reads the copy later', async () => {
  const sharingRequest = await fresh();
  const { options, reads } = counted({ shareAcrossTabs: 'chat', getToken: () => 't', maxQueuedMessages: 5 });
  const { shared } = sharingRequest(options);
  // What the shared socket and the class do with them: read every one, more than once.
  for (let i = 0; i < 2; i++) {
    const { shareAcrossTabs, ...rest } = shared;
    assert.equal(shareAcrossTabs, 'chat');
    assert.equal(rest.maxQueuedMessages, 5);
  }
  assert.deepEqual(reads, { shareAcrossTabs: 1, getToken: 1, maxQueuedMessages: 1 });
});

test('an unshared socket gets the options without shareAcrossTabs, each getter read once', async () => {
  const sharingRequest = await fresh();
  const { options, reads } = counted({ shareAcrossTabs: false, getToken: () => 't' });
  const { unshared } = sharingRequest(options);
  assert.equal(typeof unshared.getToken, 'function');
  assert.equal(unshared.getToken, unshared.getToken);
  assert.ok(!('shareAcrossTabs' in unshared));
  assert.deepEqual(reads, { shareAcrossTabs: 1, getToken: 1 });
});

test('only a boolean or a non-empty string asks for sharing, as an enumerable own option', async () => {
  const sharingRequest = await fresh();
  assert.equal(sharingRequest({ getToken: () => 't' }), null);
  // Not an option the class would read (it reads Object.keys): not one this reads either.
  assert.equal(sharingRequest(Object.create({ shareAcrossTabs: true })), null);
  assert.equal(sharingRequest(Object.defineProperty({}, 'shareAcrossTabs', { value: 7, enumerable: false })), null);
  for (const bad of ['', 1, null, {}]) {
    assert.throws(() => sharingRequest({ shareAcrossTabs: bad }), { code: 'invalid_options' });
  }
});
