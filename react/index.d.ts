import type {
  ConnectionState,
  SecureWebSocket,
  SecureWebSocketError,
  SecureWebSocketEventMap,
  SecureWebSocketMessage,
  SecureWebSocketOptions,
} from '../pkg/secure_ws.js';

/** Optional handlers, called for every event (unlike `lastMessage`, which only keeps the latest). */
export type SecureWebSocketHandlers = {
  [K in keyof SecureWebSocketEventMap]?: (payload: SecureWebSocketEventMap[K]) => void;
};

export interface UseSecureWebSocket {
  /** The socket's state, re-rendered on every change. */
  state: ConnectionState;
  /** Sends (or queues until authenticated). Throws `SecureWebSocketError` like `SecureWebSocket.send`. */
  send: (data: unknown) => void;
  /** The latest application message, or `null`. Use `handlers.message` to see every one. */
  lastMessage: SecureWebSocketMessage | null;
  /** The latest error (constructor, `error` event), or `null`. */
  error: SecureWebSocketError | null;
  /** Messages waiting for authentication. */
  queuedCount: number;
  /** The underlying socket, for what the hook does not cover; `null` before mount and after unmount. */
  socket: SecureWebSocket | null;
}

/**
 * One `SecureWebSocket` per mounted component: created on mount, closed and freed on unmount
 * (StrictMode-safe). A new `url` replaces the socket; new `options` or `handlers` objects do not.
 */
export function useSecureWebSocket(
  url: string,
  options: SecureWebSocketOptions,
  handlers?: SecureWebSocketHandlers,
): UseSecureWebSocket;
