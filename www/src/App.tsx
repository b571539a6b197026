import { useState } from 'react';
import { Chat } from './Chat';
import { login, logout } from './server';

export function App() {
  const [user, setUser] = useState<string | null>(null);
  if (!user) return <Login onLogin={setUser} />;
  return (
    <Chat
      user={user}
      onLogout={async () => {
        await logout();
        setUser(null);
      }}
    />
  );
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
    <form className="card login" onSubmit={submit}>
      <h1>secure-ws chat</h1>
      <p className="hint">Users: alice / alice-pass, bob / bob-pass. Open a second window as the other one.</p>
      <label>
        User <input name="username" defaultValue="alice" autoComplete="username" />
      </label>
      <label>
        Password <input name="password" type="password" defaultValue="alice-pass" autoComplete="current-password" />
      </label>
      <button type="submit">Log in</button>
      {error && <p className="error">{error}</p>}
    </form>
  );
}
