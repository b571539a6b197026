// src/browser/io.js, the one place a server frame is parsed and sorted before the wasm sees it:
// what its frame classification hands over (`handler(kind, value, number)`), against a socket
// stand-in. Above all, a client frame echoed back, with the token in it, never reaches the app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';
import { StandInSocket } from './stand-in.mjs';

const { openSocket } = await import(join(repo, 'src/browser/io.js'));

// FrameType order (core::protocol::FrameType, io.js's TYPES): 3 + index; 2 a frame error.
const MSG = 3 + 4;
const APP = 3 + 7;
const FRAME_ERROR = 2;

/** The socket's frames, each answered `answer`; returns what the handler and `deliver` got. */
function classify(frames, answer = 0) {
  const calls = [];
  const delivered = [];
  openSocket('ws://127.0.0.1:1/', (kind, value, number) => (calls.push([kind, value, number]), answer), (m) => delivered.push(m));
  for (const frame of frames) StandInSocket.last.frame(frame);
  return { calls, delivered };
}

test('an echoed auth or reauth frame is refused, at the top level and inside a msg, and its token goes nowhere', () => {
  const { calls, delivered } = classify([
    '{"type":"auth","token":"secret-token"}',
    '{"type":"reauth","token":"secret-token"}',
    '{"type":"msg","seq":3,"data":{"type":"auth","token":"secret-token"}}',
    '{"type":"msg","seq":4,"data":{"type":"reauth","token":"secret-token"}}',
  ], 1);
  assert.deepEqual(calls.slice(0, 2), [[FRAME_ERROR, undefined, 4], [FRAME_ERROR, undefined, 4]]);
  // Numbered: the core still counts them (no gap), but with no message to deliver.
  assert.deepEqual(calls.slice(2), [[MSG, undefined, 3], [MSG, undefined, 4]]);
  // Even were the handler to answer "deliver", nothing with the token would reach the app.
  assert.ok(delivered.every((message) => message === undefined), JSON.stringify(delivered));
  assert.ok(!JSON.stringify(calls).includes('secret-token'));
});

test('a msg hands over its data and number; an application message itself; malformed frames their error', () => {
  const { calls } = classify([
    '{"type":"msg","seq":1,"data":{"type":"chat","text":"hi"}}',
    '{"type":"msg","seq":"2","data":{"type":"chat"}}',
    '{"type":"msg","seq":3,"data":["not","an","object"]}',
    '{"type":"chat","text":"hi"}',
    'not json',
    '[1,2]',
    '{"no":"type"}',
  ]);
  assert.deepEqual(calls, [
    [MSG, { type: 'chat', text: 'hi' }, 1],
    [MSG, { type: 'chat' }, NaN],
    [MSG, undefined, 3],
    [APP, { type: 'chat', text: 'hi' }, 0],
    [FRAME_ERROR, undefined, 1],
    [FRAME_ERROR, undefined, 2],
    [FRAME_ERROR, undefined, 3],
  ]);
});

test("a msg whose data is a protocol frame (the server's or a nested msg) hands over no message, only its number", () => {
  const frames = ['auth_response', 'reauth_response', 'ping', 'pong', 'msg', 'ack', 'error'].map(
    (type, i) => JSON.stringify({ type: 'msg', seq: i + 1, data: { type, success: true, userId: 'mallory', seq: 9 } }),
  );
  const { calls, delivered } = classify(frames, 1);
  assert.deepEqual(calls, frames.map((_, i) => [MSG, undefined, i + 1]));
  assert.ok(delivered.every((message) => message === undefined), JSON.stringify(delivered));
  // An application message whose type merely starts like one is still delivered.
  assert.deepEqual(classify(['{"type":"msg","seq":1,"data":{"type":"auth_responses"}}']).calls, [[MSG, { type: 'auth_responses' }, 1]]);
});

test('a protocol frame over 65,536 characters is refused unread; an application message or a msg of any size is not', () => {
  const long = 'x'.repeat(65_536);
  const error = (message) => JSON.stringify({ type: 'error', code: 'c', message });
  const frames = [
    error(long),
    JSON.stringify({ type: 'auth_response', success: true, userId: long }),
    // At the limit itself, read.
    error(long.slice(0, 65_536 - error('').length)),
    JSON.stringify({ type: 'chat', text: long }),
    JSON.stringify({ type: 'msg', seq: 1, data: { type: 'chat', text: long } }),
  ];
  const { calls } = classify(frames);
  assert.deepEqual(calls.slice(0, 2), [[FRAME_ERROR, undefined, 5], [FRAME_ERROR, undefined, 5]]);
  assert.equal(calls[2][0], 3 + 6, 'an error frame of exactly 65,536 characters is read');
  assert.deepEqual(calls.slice(3).map(([kind, value]) => [kind, value.text.length]), [[APP, long.length], [MSG, long.length]]);
});
