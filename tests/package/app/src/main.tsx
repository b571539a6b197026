// What a new user writes after `npm install secure-ws`: the quick start from the README.
import { StrictMode, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { useSecureWebSocket } from 'secure-ws/react';

function Status() {
  const { state, send, lastMessage } = useSecureWebSocket(`ws://${location.host}/ws`, { tokenUrl: '/api/ws-token' });
  useEffect(() => {
    if (state === 'authenticated') send({ type: 'echo', from: 'the packaged app' });
  }, [state, send]);
  return (
    <p id="status" data-message={lastMessage ? String(lastMessage.from) : ''}>
      {state}
    </p>
  );
}

await fetch('/api/login', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'alice', password: 'alice-pass' }),
});
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Status />
  </StrictMode>,
);
