// Compile-time checks of the SDK's TypeScript surface: `npm test` runs `tsc` over this file, and
// every `@ts-expect-error` fails the build if the line it guards ever starts to compile, i.e.
// if the typings loosen to `any`. Never imported at run time.
import { SecureWebSocket, type ConnectionState, type SecureWebSocketError } from 'secure-ws';
import { useSecureWebSocket } from 'secure-ws/react';

export function typecheck(ws: SecureWebSocket): void {
  const state: ConnectionState = ws.state;
  const ready: Promise<void> = ws.ready();
  const off: () => void = ws.on('reconnecting', ({ attempt, delayMs }) => attempt + delayMs);
  ws.on('close', ({ code, willReconnect }) => (willReconnect ? code : 0));
  ws.on('error', (error: SecureWebSocketError) => error.code);
  ws.on('message', (message) => message.type.toUpperCase());
  ws.send({ type: 'chat', text: 'hi' });
  void [state, ready, off];

  // @ts-expect-error: not an event the SDK emits
  ws.on('opened', () => {});
  // @ts-expect-error: `state` handlers get a ConnectionState, not a number
  ws.on('state', (s: number) => s);
  // @ts-expect-error: the state is a closed union
  const wrong: 'open' = ws.state;
  void wrong;
  // @ts-expect-error: options are typed
  new SecureWebSocket('wss://example.com/ws', { tokenUrl: 42 });
  // @ts-expect-error: unknown options are refused at compile time too
  new SecureWebSocket('wss://example.com/ws', { tokenUrl: '/t', tokenURL: '/t' });
  // @ts-expect-error: heartbeat needs both fields
  new SecureWebSocket('wss://example.com/ws', { tokenUrl: '/t', heartbeat: { intervalMs: 1 } });
}

// Typed messages: the app's unions flow through `send`, the `message` event, `onMessage` and the
// hook's `lastMessage`, with no casts; anything else is refused.
type Incoming = { type: 'chat'; text: string } | { type: 'left'; user: string };
type Outgoing = { type: 'say'; text: string };

export function typedMessages(ws: SecureWebSocket<Incoming, Outgoing>): void {
  ws.send({ type: 'say', text: 'hi' });
  ws.on('message', (message) => (message.type === 'chat' ? message.text : message.user));
  ws.onMessage = (message) => void message.type;
  // @ts-expect-error: not one of the app's outgoing messages
  ws.send({ type: 'shout', text: 'hi' });
  // @ts-expect-error: `text` only exists on the `chat` variant
  ws.on('message', (message) => message.text);
  const untyped: SecureWebSocket = new SecureWebSocket('wss://example.com/ws', { tokenUrl: '/t' });
  void untyped;
}

export function TypedHook(): string {
  const { send, lastMessage, socket } = useSecureWebSocket<Incoming, Outgoing>('wss://example.com/ws', {
    tokenUrl: '/t',
    subscriptions: () => [{ type: 'say', text: 'joined' }],
  }, { message: (message) => void (message.type === 'left' && message.user) });
  send({ type: 'say', text: 'hi' });
  // @ts-expect-error: not one of the app's outgoing messages
  send({ type: 'join' });
  const typedSocket: SecureWebSocket<Incoming, Outgoing> | null = socket;
  void typedSocket;
  return lastMessage?.type === 'chat' ? lastMessage.text : '';
}
