// A child that says goodbye in its cleanup, unmounted with the component that holds the hook:
// React runs the parent's cleanups first, so the socket is gone by then. The send cannot go
// anywhere, and it is reported (a global error with code `closed`), never dropped silently.
import { useEffect, useState } from 'react';
import { useSecureWebSocket } from 'secure-ws/react';
import { wsUrl, type Echo } from './messages';

function Leaver({ send }: { send: (message: Echo) => void }) {
  useEffect(() => () => send({ type: 'echo', from: 'leaving' }), [send]);
  return null;
}

function Room() {
  const { state, send } = useSecureWebSocket<Echo, Echo>(wsUrl, { tokenUrl: '/api/ws-token' });
  return (
    <>
      <Leaver send={send} />
      <p id="room">{state}</p>
    </>
  );
}

export function Leave() {
  const [shown, setShown] = useState(true);
  const [reported, setReported] = useState('');
  useEffect(() => {
    const onError = (event: ErrorEvent) => {
      setReported(event.error?.code ?? 'other');
      event.preventDefault();
    };
    addEventListener('error', onError);
    return () => removeEventListener('error', onError);
  }, []);
  return (
    <>
      {shown && <Room />}
      <button onClick={() => setShown(false)}>leave</button>
      <p id="status" data-reported={reported}>{shown ? 'shown' : 'gone'}</p>
    </>
  );
}
