// The README's quick start, typed: `lastMessage.from` needs no cast.
import { useEffect } from 'react';
import { useSecureWebSocket } from 'secure-ws/react';
import { wsUrl, type Echo } from './messages';

export function Quick() {
  const { state, send, lastMessage } = useSecureWebSocket<Echo, Echo>(wsUrl, { tokenUrl: '/api/ws-token' });
  useEffect(() => {
    if (state === 'authenticated') send({ type: 'echo', from: 'the packaged app' });
  }, [state, send]);
  return (
    <p id="status" data-message={lastMessage?.from ?? ''}>
      {state}
    </p>
  );
}
