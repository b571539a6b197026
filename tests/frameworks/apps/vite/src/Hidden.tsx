// React's <Activity>: hiding a subtree runs its effects' cleanups (the hook closes its socket),
// showing it again runs them again, a child's before its parent's. The child's send on reveal
// must queue for the new socket, as on the first mount, not throw `closed`.
import { Activity, useEffect, useState } from 'react';
import { useSecureWebSocket } from 'secure-ws/react';
import { wsUrl, type Echo } from './messages';

function Child({ send }: { send: (message: Echo) => void }) {
  useEffect(() => send({ type: 'echo', from: 'child' }), [send]);
  return null;
}

function Panel() {
  const [seen, setSeen] = useState<string[]>([]);
  const { state, send } = useSecureWebSocket<Echo, Echo>(wsUrl, { tokenUrl: '/api/ws-token' }, {
    message: (message) => setSeen((all) => [...all, message.from]),
  });
  return (
    <>
      <Child send={send} />
      <p id="panel" data-seen={seen.join(',')}>{state}</p>
    </>
  );
}

export function Hidden() {
  const [visible, setVisible] = useState(true);
  return (
    <>
      <Activity mode={visible ? 'visible' : 'hidden'}>
        <Panel />
      </Activity>
      <button onClick={() => setVisible((shown) => !shown)}>toggle</button>
    </>
  );
}
