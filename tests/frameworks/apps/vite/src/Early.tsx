// A child's effect runs before its parent's, so before the hook has made its socket: its sends
// must queue, in order, ahead of the parent's, and after the session's subscriptions.
import { useEffect, useState } from 'react';
import { useSecureWebSocket } from 'secure-ws/react';
import { wsUrl, type Echo } from './messages';

function Child({ send }: { send: (message: Echo) => void }) {
  useEffect(() => {
    send({ type: 'echo', from: 'child-1' });
    send({ type: 'echo', from: 'child-2' });
  }, [send]);
  return null;
}

export function Early() {
  const [seen, setSeen] = useState<string[]>([]);
  const options = { tokenUrl: '/api/ws-token', subscriptions: () => [{ type: 'echo' as const, from: 'subscribed' }] };
  const { state, send } = useSecureWebSocket<Echo, Echo>(wsUrl, options, {
    message: (message) => setSeen((all) => [...all, message.from]),
  });
  useEffect(() => {
    if (state === 'authenticated') send({ type: 'echo', from: 'parent' });
  }, [state, send]);
  return (
    <>
      <Child send={send} />
      <p id="status" data-seen={seen.join(',')}>
        {state}
      </p>
    </>
  );
}
