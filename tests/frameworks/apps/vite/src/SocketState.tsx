// `socket` is state: the render after the hook makes it shows it, though the socket's own state
// has not changed (a token that never comes keeps it 'connecting').
import { useSecureWebSocket } from 'secure-ws/react';
import { wsUrl } from './messages';

export function SocketState() {
  const { socket } = useSecureWebSocket(wsUrl, { getToken: () => new Promise<string>(() => {}), authTimeoutMs: 60_000 });
  return <p id="status" data-socket={socket ? socket.state : 'none'}>{socket ? 'a socket' : 'no socket'}</p>;
}
