// The public typings: the class's own, declared beside the options in src/api/typescript.rs, with
// the application's message types threaded through `send`, the `message` event and `onMessage`.
import type {
  SecureWebSocket as WasmSecureWebSocket,
  SecureWebSocketEventMap,
  SecureWebSocketMessage,
  SecureWebSocketOptions,
} from '../pkg/secure_ws.js';

export type * from '../pkg/secure_ws.js';

/** The event payloads, with `message` narrowed to the application's incoming type. */
export type SecureWebSocketEvents<In extends { type: string } = SecureWebSocketMessage> =
  Omit<SecureWebSocketEventMap, 'message'> & { message: In };

/**
 * An authenticated, self-healing WebSocket. `In` is the union of messages the server sends
 * (each with a string `type`), `Out` what the app sends; both default to untyped JSON.
 */
export interface SecureWebSocket<In extends { type: string } = SecureWebSocketMessage, Out = unknown>
  extends Omit<WasmSecureWebSocket, 'send' | 'sendWithReceipt' | 'on' | 'onMessage'> {
  /**
   * Sends an application message: a JSON-serialisable object with a string `type` that names no
   * protocol frame (else `invalid_message`); queued until authenticated.
   * @throws {SecureWebSocketError} `queue_full`, `message_too_large`, `invalid_message` or `closed`.
   */
  send(data: Out): void;
  /** Like `send()`; resolves when the server acknowledged the message (see the class's typings). */
  sendWithReceipt(data: Out): Promise<void>;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof SecureWebSocketEvents<In>>(type: K, handler: (payload: SecureWebSocketEvents<In>[K]) => void): () => void;
  /**
   * Called with each application message. (Declared as a method's type so that a socket of a
   * narrower `In` is still a `SecureWebSocket` to code that takes any socket, as with DOM handlers.)
   */
  onMessage: { handler(message: In): void }['handler'] | null | undefined;
  /**
   * How this socket runs: `'unshared'` (its own socket: no `shareAcrossTabs`, or a browser without
   * Web Locks or BroadcastChannel), `'leader'` (it holds the socket that other tabs share) or
   * `'follower'` (another tab does). A follower becomes the leader when the leader goes away.
   */
  readonly sharing: 'leader' | 'follower' | 'unshared';
}

export declare const SecureWebSocket: {
  /**
   * Connects to `url` (`wss://`, or `ws://` to loopback; without a scheme, `'/ws'` say, the page's:
   * `wss:` on an https page, `ws:` on an http one) with `options`; the first call also instantiates
   * the wasm (synchronously).
   * @throws {SecureWebSocketError} `invalid_options` or `insecure_url`; `invalid_argument` outside a browser (a server render).
   */
  new <In extends { type: string } = SecureWebSocketMessage, Out = unknown>(
    url: string,
    options: SecureWebSocketOptions,
  ): SecureWebSocket<In, Out>;
  readonly prototype: SecureWebSocket;
};
