// getToken, subscriptions and the handlers are the latest render's: after a re-render and a
// reconnect, the token comes from generation 2's getToken, the session is set up by generation
// 2's subscriptions, and generation 2's handler sees it.
import { useState } from 'react';
import { useSecureWebSocket } from 'secure-ws/react';
import { wsUrl, type Echo } from './messages';

export function Latest() {
  const [generation, setGeneration] = useState(1);
  const [log, setLog] = useState<string[]>([]);
  const { state } = useSecureWebSocket<Echo, Echo>(
    wsUrl,
    {
      subscriptions: () => [{ type: 'echo', from: `subscribed@${generation}` }],
      getToken: async () => {
        setLog((all) => [...all, `token@${generation}`]);
        const response = await fetch('/api/ws-token', { method: 'POST', credentials: 'include' });
        return ((await response.json()) as { wsToken: string }).wsToken;
      },
    },
    {
      authenticated: () => setLog((all) => [...all, `authenticated@${generation}`]),
      message: (message) => setLog((all) => [...all, `${message.from} seen@${generation}`]),
    },
  );
  return (
    <>
      <button onClick={() => setGeneration((g) => g + 1)}>next generation</button>
      <p id="status" data-log={log.join(',')}>
        {state}
      </p>
    </>
  );
}
