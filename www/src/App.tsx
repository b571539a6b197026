import { useEffect, useState } from 'react';
import { SecureWebSocket, type ConnectionState, type SecureWebSocketMessage } from 'secure-ws';

// The demo is served by the test server, so the API and the socket share the page's origin.
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

async function login(username: string, password: string): Promise<void> {
  const response = await fetch('/api/login', {
    method: 'POST',
    credentials: 'include',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error('wrong user name or password');
}

export function App() {
  const [user, setUser] = useState<string | null>(null);
  return user ? <Chat user={user} /> : <Login onLogin={setUser} />;
}

function Login({ onLogin }: { onLogin: (user: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const username = String(form.get('username'));
    try {
      await login(username, String(form.get('password')));
      onLogin(username);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <form className="card" onSubmit={submit}>
      <h1>secure-ws demo</h1>
      <label>
        User <input name="username" defaultValue="alice" />
      </label>
      <label>
        Password <input name="password" type="password" defaultValue="alice-pass" />
      </label>
      <button type="submit">Log in</button>
      {error && <p className="error">{error}</p>}
    </form>
  );
}

function Chat({ user }: { user: string }) {
  const [socket, setSocket] = useState<SecureWebSocket | null>(null);
  const [state, setState] = useState<ConnectionState>('connecting');
  const [messages, setMessages] = useState<SecureWebSocketMessage[]>([]);
  const [draft, setDraft] = useState('');

  useEffect(() => {
    const ws = new SecureWebSocket(wsUrl, { tokenUrl: '/api/ws-token' });
    setSocket(ws);
    setState(ws.state);
    const offState = ws.on('state', setState);
    const offMessage = ws.on('message', (m) => setMessages((all) => [...all, m]));
    return () => {
      offState();
      offMessage();
      ws.close();
    };
  }, []);

  const send = (event: React.FormEvent) => {
    event.preventDefault();
    socket?.send({ type: 'echo', from: user, text: draft });
    setDraft('');
  };

  return (
    <div className="card">
      <h1>
        {user} · <span data-testid="state" className={`state ${state}`}>{state}</span>
      </h1>
      <form onSubmit={send}>
        <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="Say something" />
        <button type="submit">Send</button>
      </form>
      <ul data-testid="messages">
        {messages.map((m, i) => (
          <li key={i}>{String(m.text ?? JSON.stringify(m))}</li>
        ))}
      </ul>
    </div>
  );
}
