// What every tab of a shared connection holds of its resumable session (PROTOCOL.md, "Sharing one
// socket across tabs"), so that whichever tab leads next resumes the session instead of opening a
// new one: the session id (no credential: a resume needs a valid token of the same user), the
// messages the server has not acknowledged with their numbers, and how far this tab delivered the
// server's messages. It is fed only by the leader's announcements, each checked: a malformed one
// from the channel is ignored.

// As src/api/options.js checks it: the server's id, never a token (a JWT's dots are refused).
const SESSION_ID = /^[\w+/=:-]{1,256}$/;
const isSeq = (value) => Number.isSafeInteger(value) && value > 0;
const isOrigin = (origin) =>
  origin === null || (typeof origin?.tab === 'string' && Number.isSafeInteger(origin.id) && origin.id > 0);

/**
 * Adds `entry` (with a `seq`) to `log`, kept in increasing `seq` order: a fresh number means that
 * any entry at or above it is stale (a new session, or a hole the core numbered afresh).
 */
export function append(log, entry) {
  while (log.length > 0 && log[log.length - 1].seq >= entry.seq) log.pop();
  log.push(entry);
}

/** Removes the entries of `log` that `seq` acknowledges; returns them. */
export function prune(log, seq) {
  let count = 0;
  while (count < log.length && log[count].seq <= seq) count++;
  return log.splice(0, count);
}

export class Replica {
  /** The resumable session's id, or null (none yet, or an at-most-once server). */
  id = null;
  /** `{ seq, text, origin: { tab, id } | null }`, unacknowledged, in increasing `seq` order. */
  log = [];
  acked = 0;
  /** The number of the last server message this tab delivered. */
  delivered = 0;

  /** The server answered `auth`: `resumed` false means numbering restarted both ways. */
  session(id, resumed) {
    if (id !== null && !(typeof id === 'string' && SESSION_ID.test(id))) return false;
    if (resumed !== true) {
      this.log = [];
      this.delivered = 0;
    }
    // The `acked` record that follows a resume says what the server has, even below an earlier
    // one (a server that lost what it had confirmed: the core then renumbers after it).
    this.acked = 0;
    this.id = id;
    return true;
  }

  /** Message `text` of `origin` went out as number `seq`. */
  logged(seq, text, origin) {
    if (!isSeq(seq) || typeof text !== 'string' || !isOrigin(origin)) return false;
    append(this.log, { seq, text, origin });
    return true;
  }

  /** The server has everything up to `seq`: returns whether that is news. */
  ack(seq) {
    if (!isSeq(seq) || seq <= this.acked) return false;
    this.acked = seq;
    prune(this.log, seq);
    return true;
  }

  /** Whether a server message numbered `seq` (null: unnumbered) is new to this tab; notes it. */
  fresh(seq) {
    if (!isSeq(seq)) return true;
    if (seq <= this.delivered) return false;
    this.delivered = seq;
    return true;
  }

  /** For the `leader` announcement: the session as the leader holds it. */
  snapshot() {
    return { id: this.id, log: this.log, acked: this.acked, delivered: this.delivered };
  }

  /**
   * Takes the session, log and acknowledgement of a leader's snapshot, and its place in the
   * server's messages: a tab never resumes from behind what the leader delivered (the server may
   * have let those go). Returns `{ renumbered, missed }`: `renumbered` when the session is not the
   * one this tab knew (its sends' numbers are void), `missed` when this tab had a session and
   * did not get every server message up to the leader's (it was frozen, or the session was
   * replaced meanwhile): that tab must resynchronise. A tab that delivered nothing yet starts
   * where the leader is (what came before it joined is not its to receive). Null: malformed.
   */
  restore(snapshot) {
    const { id = null, log, acked, delivered = 0 } = snapshot ?? {};
    if (!Array.isArray(log) || !(acked === 0 || isSeq(acked)) || !(delivered === 0 || isSeq(delivered))) return null;
    const known = this.id;
    const same = id !== null && id === known;
    if (!this.session(id, same)) return null;
    const missed = known !== null && (!same || this.delivered < delivered);
    this.log = [];
    for (const entry of log) this.logged(entry?.seq, entry?.text, entry?.origin ?? null);
    this.acked = acked;
    this.delivered = Math.max(this.delivered, delivered);
    return { renumbered: !same, missed };
  }

  /** What the next leader's wasm socket adopts (src/api/options.js), or null: no session. */
  handover() {
    if (this.id === null) return null;
    const top = Math.max(this.log.at(-1)?.seq ?? 0, this.acked);
    return { sessionId: this.id, lastSeq: this.delivered, nextSeq: top + 1, log: this.log.filter((e) => e.seq > this.acked) };
  }
}
