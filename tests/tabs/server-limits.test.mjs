// A server that advertises a smaller `maxMessageBytes` than the option: once authenticated, every
// tab of a shared socket refuses a larger send synchronously, as the class does, because the
// leader announces the server's limit with its state. (The option stays the bound before then.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, openTabs, setUp, stateIs } from './support.mjs';

const SERVER_LIMIT = 600;
// `{"type":"echo","pad":"…"}` is 24 bytes around the padding.
const sized = (bytes) => ({ type: 'echo', pad: 'x'.repeat(bytes - 24) });

let env;
before(async () => {
  env = await setUp({ env: { MAX_MESSAGE_BYTES: String(SERVER_LIMIT) } });
});
after(async () => {
  await env?.tearDown();
});

test('every tab refuses a send over the server\'s advertised limit at once, as the class does', async () => {
  const { context, tabs } = await openTabs(env, 'tabs-limit', 3);
  const [leader, follower, unshared] = tabs;
  await leader.evaluate(() => window.start({ shareAcrossTabs: true }));
  await leader.waitForFunction(() => window.ws.sharing === 'leader', null, WAIT);
  await follower.evaluate(() => window.start({ shareAcrossTabs: true }));
  await unshared.evaluate(() => window.start());
  for (const tab of tabs) await stateIs(tab, 'authenticated');
  for (const tab of tabs) {
    const codes = await tab.evaluate(
      ([over, at]) => [window.trySend(over), window.tryReceipt(over), window.trySend(at)],
      [sized(SERVER_LIMIT + 1), sized(SERVER_LIMIT)],
    );
    assert.deepEqual(codes, ['message_too_large', 'message_too_large', null], await tab.evaluate(() => window.ws.sharing));
  }
  for (const tab of [leader, follower]) {
    await tab.waitForFunction((n) => window.seen.messages.filter((m) => m.pad?.length === n).length === 2, SERVER_LIMIT - 24, WAIT);
  }
  await context.close();
});

test('a message queued before the server said its limit, and over it, is dropped with the error send() throws for it', async () => {
  const { context, tabs: [tab] } = await openTabs(env, 'tabs-queued', 1);
  // Accepted while connecting, when the option (10,240 B) is the bound; the smaller one behind it
  // goes out once authenticated.
  const accepted = await tab.evaluate(([over, at]) => {
    window.start();
    window.dropped = [];
    window.ws.on('error', (error) => window.dropped.push([error.code, error.message]));
    return [window.tryReceipt(over), window.trySend(at)];
  }, [sized(SERVER_LIMIT + 1), sized(SERVER_LIMIT)]);
  assert.deepEqual(accepted, [null, null]);
  await tab.waitForFunction((n) => window.seen.messages.some((m) => m.pad?.length === n), SERVER_LIMIT - 24, WAIT);
  assert.deepEqual(await tab.evaluate(() => [window.dropped, window.receipts]), [
    [['message_too_large', `message is ${SERVER_LIMIT + 1} bytes, over the limit of ${SERVER_LIMIT}`]],
    ['message_too_large'],
  ]);
  await context.close();
});
