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

test("a tab restored from the leader's snapshot resynchronises only if it missed messages or the session", () => {
  const follower = () => {
    const replica = new Replica();
    replica.session('s1', false);
    for (let seq = 1; seq <= 3; seq++) assert.equal(replica.fresh(seq), true);
    return replica;
  };
  // The leader delivered what this tab did: nothing missed.
  assert.deepEqual(follower().restore({ id: 's1', log: [], acked: 3, delivered: 3 }), { renumbered: false, missed: false });
  // The leader delivered 4 and 5 while this tab was not listening (frozen, say): missed.
  const behind = follower();
  assert.deepEqual(behind.restore({ id: 's1', log: [], acked: 5, delivered: 5 }), { renumbered: false, missed: true });
  assert.equal(behind.delivered, 5, 'and it goes on from there: 4 and 5 are not delivered twice');
  assert.equal(behind.fresh(5), false);
  // A new session meanwhile: renumbered, and missed whatever the numbers say.
  assert.deepEqual(follower().restore({ id: 's2', log: [], acked: 0, delivered: 0 }), { renumbered: true, missed: true });
  // A tab that had no session yet misses nothing.
  assert.deepEqual(new Replica().restore({ id: 's1', log: [], acked: 0, delivered: 7 }), { renumbered: true, missed: false });
});
