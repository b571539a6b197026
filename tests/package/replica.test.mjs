// js/share/replica.js, the resumable session as every tab holds it, against the records a leader's
// core announces (src/core/session.rs, `Replication`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';

const { Replica } = await import(join(repo, 'js/share/replica.js'));

test('a resume below an earlier acknowledgement lowers it: what the core numbers next is kept for the next leader', () => {
  const replica = new Replica();
  replica.session('s1', false);
  for (let seq = 1; seq <= 5; seq++) replica.logged(seq, `{"n":${seq}}`, null);
  assert.equal(replica.ack(5), true);
  // The server resumes, having lost 3..5 it had acknowledged: the core announces the session,
  // `acked 2`, then numbers what is sent next from 3.
  replica.session('s1', true);
  assert.equal(replica.ack(2), true);
  replica.logged(3, '{"new":1}', { tab: 'b', id: 1 });
  replica.logged(4, '{"new":2}', { tab: 'b', id: 2 });
  assert.equal(replica.ack(3), true);
  assert.equal(replica.acked, 3, 'message 4 is not confirmed');
  const handover = replica.handover();
  assert.deepEqual(handover.log.map((entry) => entry.seq), [4]);
  assert.equal(handover.nextSeq, 5);
});

test('a resume at or above the last acknowledgement keeps the log after it', () => {
  const replica = new Replica();
  replica.session('s1', false);
  for (let seq = 1; seq <= 4; seq++) replica.logged(seq, `{"n":${seq}}`, null);
  replica.ack(1);
  replica.session('s1', true);
  replica.ack(2);
  assert.deepEqual(replica.handover().log.map((entry) => entry.seq), [3, 4]);
});
