import { useCallback, useRef, useState } from 'react';
import { useSecureWebSocket } from 'secure-ws/react';
import { LivePanel, type Timeline } from './LivePanel';
import type { ChatLine, ClientMessage, ServerMessage } from './messages';
import { wsUrl } from './server';

const ROOMS = ['general', 'random'];

export function Chat({ user, onLogout }: { user: string; onLogout: () => void }) {
  const [room, setRoom] = useState(ROOMS[0]);
  const roomRef = useRef(room);
  const [lines, setLines] = useState<Record<string, ChatLine[]>>({});
  const [draft, setDraft] = useState('');
  // The SDK starts in 'connecting' without an event (no listener exists yet): the timeline starts there.
  const [timeline, setTimeline] = useState<Timeline>({
    states: [{ state: 'connecting', at: Date.now() }],
    reconnectAt: null,
    errors: [],
  });

  const onMessage = useCallback((message: ServerMessage) => {
    if (message.type === 'message') {
      setLines((all) => ({ ...all, [message.room]: [...(all[message.room] ?? []), message] }));
    } else if (message.type === 'message_deleted') {
      const { room: from, messageId } = message;
      setLines((all) => ({ ...all, [from]: (all[from] ?? []).filter((l) => l.id !== messageId) }));
    }
  }, []);

  const { state, send, queuedCount, socket } = useSecureWebSocket<ServerMessage, ClientMessage>(
    wsUrl,
    {
      tokenUrl: '/api/ws-token',
      reconnect: { baseDelayMs: 500, maxDelayMs: 8000, maxAttempts: 10 },
      // The room to (re)join whenever a new server session starts: sent before anything queued.
      // A resumed session keeps its room, and gets nothing again.
      subscriptions: () => [{ type: 'join_room', room: roomRef.current }],
    },
    {
      message: onMessage,
      state: (next) => setTimeline((t) => ({ ...t, states: [...t.states.slice(-11), { state: next, at: Date.now() }] })),
      reconnecting: ({ delayMs }) => setTimeline((t) => ({ ...t, reconnectAt: Date.now() + delayMs })),
      authenticated: () => setTimeline((t) => ({ ...t, reconnectAt: null })),
      error: (e) => setTimeline((t) => ({ ...t, errors: [...t.errors.slice(-4), `${e.code}: ${e.message}`] })),
    },
  );

  const switchRoom = (next: string) => {
    send({ type: 'leave_room', room: roomRef.current });
    send({ type: 'join_room', room: next });
    roomRef.current = next;
    setRoom(next);
  };

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (!draft.trim()) return;
    send({ type: 'send_message', room, content: draft });
    setDraft('');
  };

  return (
    <div className="layout">
      <main className="card chat">
        <header>
          <h1>#{room}</h1>
          <span className="who">
            {user} <button onClick={onLogout}>Log out</button>
          </span>
        </header>
        <nav>
          {ROOMS.map((r) => (
            <button key={r} className={r === room ? 'active' : ''} onClick={() => switchRoom(r)}>
              #{r}
            </button>
          ))}
        </nav>
        <ul className="messages" data-testid="messages">
          {(lines[room] ?? []).map((line) => (
            <li key={line.id} className={line.sender === user ? 'mine' : ''}>
              <b>{line.sender}</b> <span>{line.content}</span>
              <time>{new Date(line.timestamp).toLocaleTimeString()}</time>
              {line.sender === user && (
                <button className="delete" title="Delete" onClick={() => send({ type: 'delete_message', room, messageId: line.id })}>
                  ✕
                </button>
              )}
            </li>
          ))}
        </ul>
        <form onSubmit={submit}>
          <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder={`Message #${room}`} maxLength={1000} />
          <button type="submit">Send</button>
        </form>
      </main>
      <LivePanel user={user} state={state} queuedCount={queuedCount} socket={socket} timeline={timeline} />
    </div>
  );
}
