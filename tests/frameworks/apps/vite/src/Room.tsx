// A room in the socket's url, and the README's "send once authenticated" effect keyed on the state
// and the room: switching rooms replaces the socket, and the new room's hello must go out once.
// From its first render, the new url's state is `connecting`, not the old socket's
// `authenticated` (which would queue a hello for the new socket, then send another).
import { useEffect, useState } from 'react';
import { useSecureWebSocket } from 'secure-ws/react';
import { wsUrl, type Echo } from './messages';

export function Room() {
  const [room, setRoom] = useState('a');
  const [echoes, setEchoes] = useState<string[]>([]);
  const { state, send } = useSecureWebSocket<Echo, Echo>(`${wsUrl}?room=${room}`, { tokenUrl: '/api/ws-token' }, {
    message: (echo) => setEchoes((seen) => [...seen, echo.from]),
  });
  useEffect(() => {
    if (state === 'authenticated') send({ type: 'echo', from: `hello ${room}` });
  }, [state, room, send]);
  return (
    <>
      <p id="status" data-room={room} data-echoes={echoes.join(',')}>
        {state}
      </p>
      <button onClick={() => setRoom('b')}>room b</button>
      <button onClick={() => send({ type: 'echo', from: 'marker' })}>marker</button>
    </>
  );
}
