// A shared socket's close() (js/share/shared-socket.js) in the package as built, in Node on stand-in
// sockets: as the class's close() when no other tab can take the session (the tab's own socket,
// `unshared`, where Web Locks are missing; or a leader no follower has joined): close 1000, so the
// server ends the session, with a `close` event and `state: closed` after close() returns. A leader
// that has a follower, or one whose follower stepped down frozen or hidden and will resume the
// session, hands it over (4015) instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';
import { StandInSocket, authenticate, until } from './stand-in.mjs';

const { SecureWebSocket } = await import(join(repo, 'js/index.js'));
const { sessionName } = await import(join(repo, 'js/share/names.js'));
// The page listeners each socket registers (js/share/'s Page Lifecycle ones among them), in order.
const pageListeners = [];
globalThis.addEventListener = (type, listener) => pageListeners.push([type, listener]);
// Which code each socket was closed with (the stand-in's own close ignores it).
StandInSocket.prototype.close = function (code, reason) {
  this.closedWith = [code, reason];
  this.readyState = 3;
};

/** Web Locks as the browser grants them: one holder per name, the others wait in order. */
function installWebLocks() {
  const held = new Map();
  const grant = (name) => {
    const queue = held.get(name);
    if (!queue || queue.busy || queue.waiting.length === 0) return;
    const { callback, resolve, reject } = queue.waiting.shift();
    queue.busy = true;
    Promise.resolve(callback()).then(resolve, reject).finally(() => {
      queue.busy = false;
      grant(name);
    });
  };
  globalThis.navigator = {
    locks: {
      request(name, { signal }, callback) {
        return new Promise((resolve, reject) => {
          if (!held.has(name)) held.set(name, { busy: false, waiting: [] });
          const entry = { callback, resolve, reject };
          held.get(name).waiting.push(entry);
          signal?.addEventListener('abort', () => {
            const { waiting } = held.get(name);
            if (waiting.includes(entry)) {
              waiting.splice(waiting.indexOf(entry), 1);
              reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
            }
          });
          grant(name);
        });
      },
    },
  };
  return () => delete globalThis.navigator;
}

/** Closes `ws`, recording its events: those inside close() and those after it returned. */
async function closeAndWatch(ws) {
  const seen = [];
  ws.on('state', (state) => seen.push(`state:${state}`));
  ws.on('close', ({ code, willReconnect }) => seen.push(`close:${code}:${willReconnect}`));
  ws.close();
  const during = [...seen];
  const state = ws.state;
  await new Promise((resolve) => setImmediate(resolve));
  return { during, state, after: seen };
}

for (const shareAcrossTabs of [false, true]) {
  test(`close() with shareAcrossTabs: ${shareAcrossTabs} and no Web Locks (the tab's own socket) is the class's: 1000, then its events`, async () => {
    const made = StandInSocket.made.length;
    const ws = new SecureWebSocket('ws://127.0.0.1:1/ws', { getToken: () => 'token', shareAcrossTabs });
    await until(() => StandInSocket.made.length > made);
    const socket = StandInSocket.last;
    await authenticate(ws, socket);
    if (shareAcrossTabs) assert.equal(ws.sharing, 'unshared');
    const { during, state, after } = await closeAndWatch(ws);
    assert.deepEqual(socket.closedWith, [1000, 'closed by client'], 'the server is told the session is over');
    assert.equal(state, 'closed', 'closed as close() returns');
    assert.deepEqual(during, [], 'nothing is delivered inside close()');
    assert.deepEqual(after, ['close:1000:false', 'state:closed']);
  });
}

test('a leader that no tab follows ends the session on close() (1000); one with a follower hands it over (4015)', async () => {
  const uninstall = installWebLocks();
  try {
    const options = { getToken: () => 'token', shareAcrossTabs: 'close-test' };
    let made = StandInSocket.made.length;
    const alone = new SecureWebSocket('ws://127.0.0.1:1/alone', options);
    await until(() => StandInSocket.made.length > made);
    await authenticate(alone, StandInSocket.last);
    assert.equal(alone.sharing, 'leader');
    const lonely = StandInSocket.last;
    const { during, after } = await closeAndWatch(alone);
    assert.deepEqual(lonely.closedWith, [1000, 'closed by client']);
    assert.deepEqual([during, after], [[], ['close:1000:false', 'state:closed']]);

    made = StandInSocket.made.length;
    const leader = new SecureWebSocket('ws://127.0.0.1:1/shared', options);
    await until(() => StandInSocket.made.length > made);
    const socket = StandInSocket.last;
    await authenticate(leader, socket);
    const follower = new SecureWebSocket('ws://127.0.0.1:1/shared', options);
    await until(() => follower.state === 'authenticated');
    assert.equal(follower.sharing, 'follower');
    await closeAndWatch(leader);
    assert.deepEqual(socket.closedWith, [4015, 'handed over to another tab'], 'kept for the follower');
    await until(() => follower.sharing === 'leader');
    follower.free();
  } finally {
    uninstall();
  }
});

test('a leader whose one follower stepped down hidden (pagehide: bye, away) hands over (4015): that tab resumes the session', async () => {
  const uninstall = installWebLocks();
  const options = { getToken: () => 'token', shareAcrossTabs: 'away-test' };
  const url = 'ws://127.0.0.1:1/away';
  const open = [];
  let observer;
  try {
    const made = StandInSocket.made.length;
    const leader = new SecureWebSocket(url, options);
    open.push(leader);
    await until(() => StandInSocket.made.length > made);
    const socket = StandInSocket.last;
    await authenticate(leader, socket);
    const before = pageListeners.length;
    const follower = new SecureWebSocket(url, options);
    open.push(follower);
    // The follower's own pagehide listener: the last registered (its probe's socket registers first).
    const [, hide] = pageListeners.slice(before).findLast(([type]) => type === 'pagehide');
    await until(() => follower.state === 'authenticated');
    assert.equal(follower.sharing, 'follower');
    // Opened after the leader's channel: Node hands a message to channels in the order they were
    // opened, so once this one has the follower's bye, the leader has had it.
    observer = new BroadcastChannel(sessionName('away-test', url));
    const byes = [];
    observer.onmessage = ({ data }) => data?.t === 'bye' && byes.push(data);
    hide({ type: 'pagehide', persisted: true });
    await until(() => byes.length === 1);
    assert.equal(byes[0].away, true);
    leader.close();
    assert.deepEqual(socket.closedWith, [4015, 'handed over to another tab'], 'kept for the tab that comes back');
  } finally {
    for (const ws of open) ws.free();
    observer?.close();
    uninstall();
  }
});
