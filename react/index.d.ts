import type {
  ConnectionState,
  SecureWebSocket,
  SecureWebSocketError,
  SecureWebSocketEvents,
  SecureWebSocketMessage,
  SecureWebSocketOptions,
} from '../js/index.js';

/** Optional handlers, called for every event (unlike `lastMessage`, which only keeps the latest). */
export type SecureWebSocketHandlers<In extends { type: string } = SecureWebSocketMessage> = {
  [K in keyof SecureWebSocketEvents<In>]?: (payload: SecureWebSocketEvents<In>[K]) => void;
};

/**
 * The SDK's options. Function options (`getToken`, `subscriptions`) are called through the latest
 * render's function. `subscriptions` returns the messages that set up a new session (join rooms,
 * re-subscribe), sent on each authentication that starts one, before anything queued.
 */
export type UseSecureWebSocketOptions<Out = unknown> = Omit<SecureWebSocketOptions, 'subscriptions'> & {
  subscriptions?: () => Out[];
};

export interface UseSecureWebSocket<In extends { type: string } = SecureWebSocketMessage, Out = unknown> {
  /** The socket's state, re-rendered on every change. */
  state: ConnectionState;
  /**
   * Sends, or queues until authenticated; before the socket exists (the hook makes it in an
   * effect) the send is queued too, in order. Throws `SecureWebSocketError` like `SecureWebSocket.send`.
   */
  send: (data: Out) => void;
  /** The latest application message, or `null`. Use `handlers.message` to see every one. */
  lastMessage: In | null;
  /** The latest error (constructor, `error` event), or `null`. */
  error: SecureWebSocketError | null;
  /** Messages waiting for authentication. */
  queuedCount: number;
  /** The underlying socket, for what the hook does not cover; `null` until made and after unmount. */
  socket: SecureWebSocket<In, Out> | null;
}

/**
 * One `SecureWebSocket` per mounted component, made in an effect (only in the browser), closed and
 * freed on unmount; StrictMode's double mount opens one. A new `url` replaces the socket (from its
 * first render, `state` is `connecting` and `socket` null); new `options` or `handlers` objects do
 * not, nor changed values of options that are not functions (they take effect with the next
 * socket). `In`: the server's messages; `Out`: what the app sends.
 */
export function useSecureWebSocket<In extends { type: string } = SecureWebSocketMessage, Out = unknown>(
  url: string,
  options: UseSecureWebSocketOptions<Out>,
  handlers?: SecureWebSocketHandlers<In>,
): UseSecureWebSocket<In, Out>;
