import { useEffect, useState } from 'react';
import type { ConnectionState, SecureWebSocket } from 'secure-ws';
import type { ClientMessage, ServerMessage } from './messages';
import { faults } from './server';

export interface Timeline {
  states: { state: ConnectionState; at: number }[];
  /** When the pending reconnect attempt starts, if one is pending. */
  reconnectAt: number | null;
  errors: string[];
}

/** What the SDK is doing, live: never the token, only its timing. */
export function LivePanel(props: {
  user: string;
  state: ConnectionState;
  queuedCount: number;
  socket: SecureWebSocket<ServerMessage, ClientMessage> | null;
  timeline: Timeline;
}) {
  const { user, state, queuedCount, socket, timeline } = props;
  const now = useNow(250);
  const [offline, setOffline] = useState(false);
  const reauthIn = socket?.nextReauthInMs ?? null;
  const reconnectIn = timeline.reconnectAt === null ? null : Math.max(0, timeline.reconnectAt - now);

  // The browser's own online/offline events, as a flaky network would fire them.
  const toggleNetwork = () => {
    window.dispatchEvent(new Event(offline ? 'online' : 'offline'));
    setOffline(!offline);
  };

  return (
    <aside className="card panel">
      <h2>
        Connection <span data-testid="state" className={`state ${state}`}>{state}</span>
      </h2>
      <dl>
        <dt>Queued sends</dt>
        <dd data-testid="queued">{queuedCount}</dd>
        <dt>Reconnect in</dt>
        <dd>{reconnectIn === null ? '—' : `${(reconnectIn / 1000).toFixed(1)} s`}</dd>
        <dt>Next re-auth in</dt>
        <dd>{reauthIn === null ? '—' : `${Math.round(reauthIn / 1000)} s`}</dd>
      </dl>
      <ol className="timeline" aria-label="state timeline">
        {timeline.states.map(({ state: s, at }, i) => (
          <li key={i} className={`state ${s}`}>
            {s} <time>{((now - at) / 1000).toFixed(1)} s ago</time>
          </li>
        ))}
      </ol>
      <div className="faults">
        <button onClick={() => faults.killConnection(user)}>Kill connection</button>
        <button onClick={toggleNetwork}>{offline ? 'Go online' : 'Go offline'}</button>
        <button
          onClick={async () => {
            await faults.rejectNextAuth(user);
            await faults.killConnection(user);
          }}
        >
          Reject next auth
        </button>
      </div>
      {timeline.errors.length > 0 && (
        <ul className="errors">
          {timeline.errors.map((e, i) => (
            <li key={i}>{e}</li>
          ))}
        </ul>
      )}
    </aside>
  );
}

function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
