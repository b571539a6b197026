// The Dioxus app (tests/rust-frameworks/dioxus) end to end in headless Chromium against the test
// server that serves it: log in, echo through the socket; the server kills the socket; the app
// shows the reconnect and the echo goes on; leaving unmounts the component, which drops (closes)
// the socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, driveApp, killSockets, send } from './app.mjs';

const base = process.env.DIOXUS_URL;
assert.ok(base, 'DIOXUS_URL is set by scripts/test.sh');

test('the Dioxus app logs in, echoes, reconnects after a server-side close, and closes on unmount', async () => {
  await driveApp(base, async (page) => {
    const line = (text) => page.getByText(text, { exact: true });
    await line('alice · authenticated').waitFor(WAIT);
    await line('— connected').waitFor(WAIT);
    await send(page, 'hello from Dioxus');
    await line('echo: hello from Dioxus').waitFor(WAIT);

    await killSockets(page, base);
    await line('— connection lost (1001), reconnecting').waitFor(WAIT);
    await page.getByText(/^— reconnected \((session resumed|new session)\)$/).waitFor(WAIT);
    await line('alice · authenticated').waitFor(WAIT);
    await send(page, 'still here');
    await line('echo: still here').waitFor(WAIT);
  });
});
