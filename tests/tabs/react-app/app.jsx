// The hook in a tab, under StrictMode, as an app uses it: its state, the socket's `sharing`,
// the messages it received and a send the test triggers.
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useSecureWebSocket } from '../../../react/index.js';
import { login } from '../page/login.js';

function Tab() {
  const [received, setReceived] = useState([]);
  const { state, send, socket, queuedCount } = useSecureWebSocket(
    `ws://${location.host}/ws`,
    { tokenUrl: `${location.origin}/api/ws-token`, shareAcrossTabs: true },
    { message: (message) => setReceived((all) => [...all, message]) },
  );
  window.hookSend = send;
  window.hookSocket = socket;
  return (
    <dl>
      <dt>state</dt>
      <dd data-testid="state">{state}</dd>
      <dt>sharing</dt>
      <dd data-testid="sharing">{socket?.sharing ?? 'none'}</dd>
      <dt>queued</dt>
      <dd data-testid="queued">{queuedCount}</dd>
      <dt>received</dt>
      <dd data-testid="received">{received.map((message) => message.from).join(',')}</dd>
    </dl>
  );
}

window.login = login;

window.mountHook = () =>
  createRoot(document.getElementById('root')).render(
    <StrictMode>
      <Tab />
    </StrictMode>,
  );
