// A server component: it imports the package's types and its class (rendered on the server, so
// importing must touch nothing of the browser), and renders the client component with the hook.
import type { ConnectionState, SecureWebSocketMessage } from 'secure-ws';
import { SecureWebSocket } from 'secure-ws';
import { Status } from './status';

const initial: ConnectionState = 'connecting';
const example: SecureWebSocketMessage = { type: 'echo' };

export default function Page() {
  return (
    <main>
      <p id="server" data-class={typeof SecureWebSocket} data-example={example.type}>
        rendered on the server
      </p>
      <Status initial={initial} />
    </main>
  );
}
