// The Yew app (tests/rust-frameworks/yew) end to end in headless Chromium against the test server
// that serves it: log in, the socket joins #general through `subscriptions`, chat; the server
// kills the socket and, ignoring the resume offer, starts a new session, which the app's
// `subscriptions` join to #general again before the chat goes on; leaving unmounts the chat, which
// drops (closes) the socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, driveApp, forceNewSession, killSockets, send } from './app.mjs';

const base = process.env.YEW_URL;
assert.ok(base, 'YEW_URL is set by scripts/test.sh');

test('the Yew app logs in, chats, reconnects after a server-side close, and closes on unmount', async () => {
  await driveApp(base, async (page) => {
    const line = (text) => page.getByText(text, { exact: true });
    await line('alice · authenticated · #general').waitFor(WAIT);
    await line('— connected').waitFor(WAIT);
    await line('— joined #general').waitFor(WAIT);
    await send(page, 'hello from Yew');
    await line('alice: hello from Yew').waitFor(WAIT);

    await forceNewSession(page, base);
    await killSockets(page, base);
    await line('— connection lost (1001), reconnecting').waitFor(WAIT);
    await line('— reconnected (new session)').waitFor(WAIT);
    // Joined again by `subscriptions`, on the new session, before anything else is sent.
    await line('— joined #general').nth(1).waitFor(WAIT);
    await line('alice · authenticated · #general').waitFor(WAIT);
    await send(page, 'still here');
    await line('alice: still here').waitFor(WAIT);
  });
});
