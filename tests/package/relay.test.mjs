// js/share/relay.js, the leader's side of a shared connection, against a stand-in for the class:
// what it tells the other tabs about each server message, from the records the leader's core
// announces (src/api/driver.js's replication hook) and the events it emits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';

const { Relay } = await import(join(repo, 'js/share/relay.js'));
const SHARE = Symbol.for('secure-ws.share');

/** The class as the relay uses it: its share hook, its listeners, nothing sent. */
class StandInSocket {
  static last;
  listeners = {};
  constructor(url, options) {
    this.hook = options[SHARE].replicate;
    StandInSocket.last = this;
  }
  on(type, handler) {
    this.listeners[type] = handler;
    return () => delete this.listeners[type];
  }
  emit(type, payload) {
    this.listeners[type]?.(payload);
  }
  /** A `received` record (the hook's kind 3): the number of the server frame being handled. */
  received(seq) {
    this.hook(3, seq, 0, undefined);
  }
}

function relay() {
  const events = [];
  const sink = { event: (type, payload, seq) => events.push([type, payload?.code ?? payload?.type ?? payload, seq]) };
  new Relay(StandInSocket, 'ws://127.0.0.1:1/', {}, ['message', 'error', 'state'], null, sink);
  return { socket: StandInSocket.last, events };
}

test('a numbered frame refused for what it carries reaches the other tabs with its number, so they count it too', () => {
  const { socket, events } = relay();
  socket.received(7);
  socket.emit('message', { type: 'chat' });
  // A `msg` whose data is no application message: counted by the core, reported as an error.
  socket.received(8);
  socket.emit('error', { code: 'invalid_frame' });
  // An error that numbers nothing (a malformed control frame) carries no number.
  socket.emit('error', { code: 'invalid_frame' });
  socket.emit('state', 'reconnecting');
  assert.deepEqual(events, [
    ['message', 'chat', 7],
    ['error', 'invalid_frame', 8],
    ['error', 'invalid_frame', null],
    ['state', 'reconnecting', null],
  ]);
});
