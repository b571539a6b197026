// A child that says goodbye in its cleanup, unmounted with the component that holds the hook:
// React runs the parent's cleanups first, so the socket is gone by then. The send cannot go
// anywhere, and it is reported (a global error with code `closed`), never dropped silently. A
// `send` kept past the unmount and called later throws `closed`.
import { useEffect, useRef, useState, type MutableRefObject } from 'react';
import { useSecureWebSocket } from 'secure-ws/react';
import { wsUrl, type Echo } from './messages';

function Leaver({ send }: { send: (message: Echo) => void }) {
  useEffect(() => () => send({ type: 'echo', from: 'leaving' }), [send]);
  return null;
}

function Room({ kept }: { kept: MutableRefObject<((message: Echo) => void) | null> }) {
  const { state, send } = useSecureWebSocket<Echo, Echo>(wsUrl, { tokenUrl: '/api/ws-token' });
  kept.current = send;
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
  const [thrown, setThrown] = useState('');
  const kept = useRef<((message: Echo) => void) | null>(null);
  const sendLater = () => {
    try {
      kept.current?.({ type: 'echo', from: 'later' });
      setThrown('nothing');
    } catch (error) {
      setThrown((error as { code?: string }).code ?? 'other');
    }
  };
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
      {shown && <Room kept={kept} />}
      <button onClick={() => setShown(false)}>leave</button>
      <button onClick={sendLater}>send later</button>
      <p id="status" data-reported={reported} data-thrown={thrown}>{shown ? 'shown' : 'gone'}</p>
    </>
  );
}
