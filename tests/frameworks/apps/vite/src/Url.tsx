// A new `url` replaces the socket: the old one is closed, a new one authenticates, and
// `lastMessage` stays what the old socket last delivered until the new one delivers another.
// With `&first=dead` the first url has no server behind it: what was queued on that socket is
// discarded with it, never sent on the new one.
import { useEffect, useState } from 'react';
import { useSecureWebSocket } from 'secure-ws/react';
import { wsUrl, type Echo } from './messages';

const dead = new URLSearchParams(location.search).get('first') === 'dead';

export function Url() {
  const [url, setUrl] = useState(dead ? 'ws://127.0.0.1:9/ws' : wsUrl);
  const { state, send, lastMessage, queuedCount } = useSecureWebSocket<Echo, Echo>(url, { tokenUrl: '/api/ws-token' });
  const [authentications, setAuthentications] = useState(0);
  useEffect(() => {
    if (state === 'authenticated') setAuthentications((n) => n + 1);
  }, [state]);
  return (
    <>
      <button onClick={() => send({ type: 'echo', from: 'the first url' })}>echo</button>
      <button onClick={() => send({ type: 'echo', from: 'queued on the dead url' })}>queue</button>
      <button onClick={() => setUrl(dead ? wsUrl : `${wsUrl}?v=2`)}>switch</button>
      <button onClick={() => send({ type: 'echo', from: 'the second url' })}>echo again</button>
      <p
        id="status"
        data-message={lastMessage?.from ?? ''}
        data-authentications={authentications}
        data-queued={queuedCount}
      >
        {state}
      </p>
    </>
  );
}
