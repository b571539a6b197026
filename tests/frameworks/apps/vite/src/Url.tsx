// A new `url` replaces the socket: the old one is closed, a new one authenticates, and
// `lastMessage` stays what the old socket last delivered until the new one delivers another.
import { useEffect, useState } from 'react';
import { useSecureWebSocket } from 'secure-ws/react';
import { wsUrl, type Echo } from './messages';

export function Url() {
  const [url, setUrl] = useState(wsUrl);
  const { state, send, lastMessage } = useSecureWebSocket<Echo, Echo>(url, { tokenUrl: '/api/ws-token' });
  const [authentications, setAuthentications] = useState(0);
  useEffect(() => {
    if (state === 'authenticated') setAuthentications((n) => n + 1);
  }, [state]);
  return (
    <>
      <button onClick={() => send({ type: 'echo', from: 'the first url' })}>echo</button>
      <button onClick={() => setUrl(`${wsUrl}?v=2`)}>switch</button>
      <p id="status" data-message={lastMessage?.from ?? ''} data-authentications={authentications}>
        {state}
      </p>
    </>
  );
}
