//! The TypeScript declarations users see: the options interface, the state union, typed event
//! overloads and the members of the class, which is JavaScript (secure-web-socket.js) and so has
//! no declaration that wasm-bindgen writes. js/index.d.ts declares the class from these.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** The connection's lifecycle state. */
export type ConnectionState = 'connecting' | 'authenticating' | 'authenticated' | 'reconnecting' | 'closed';

/** Options of `new SecureWebSocket(url, options)`. Exactly one of `tokenUrl` / `getToken` is required. */
export interface SecureWebSocketOptions {
  /**
   * Credentialed `POST` that answers `{ wsToken, expiresIn }`; 401/403 ends the session. Resolved
   * against the page; `https:`, or `http:` to loopback only unless `allowInsecure`.
   */
  tokenUrl?: string;
  /**
   * Alternative to `tokenUrl`: returns a fresh token. `signal` aborts when the SDK gives up on the
   * request (a connect or re-auth timeout, `close()`): pass it to your `fetch`. A `getToken` that
   * never settles cannot hold up the next attempt. Throw `{ code: 'unauthorized' }` to end the session.
   */
  getToken?: (context: { signal: AbortSignal }) => string | Promise<string>;
  /** Default 5000. No `auth_response` this long after `auth` → close 4001 and reconnect. Also bounds token fetch + open. */
  authTimeoutMs?: number;
  /** Default 840000 (14 min); 0 disables the periodic re-auth. Re-auth also happens at 80 % of `expiresIn`. */
  reauthIntervalMs?: number;
  /** Default 5000. No `reauth_response` this long after starting a re-auth → reconnect. */
  reauthTimeoutMs?: number;
  /**
   * Exponential backoff: delay for attempt n is `min(baseDelayMs·2ⁿ, maxDelayMs)`, full jitter when on.
   * The attempt count starts again only after a connection stayed authenticated for `minUptimeMs`
   * (default 5000): a server that accepts and then drops every connection gets a growing backoff.
   */
  reconnect?: { baseDelayMs?: number; maxDelayMs?: number; maxAttempts?: number; jitter?: boolean; minUptimeMs?: number };
  /** Default 1000. Beyond it `send()` throws `queue_full`. */
  maxQueuedMessages?: number;
  /** Default 10240 (UTF-8 bytes of the JSON text). Larger `send()` throws `message_too_large`. */
  maxMessageBytes?: number;
  /** Default false: `ws://`, and an `http://` `tokenUrl`, only to 127.0.0.1, [::1] or localhost. */
  allowInsecure?: boolean;
  /** Off by default. Sends `{"type":"ping"}` every `intervalMs`; no pong within `timeoutMs` → reconnect. */
  heartbeat?: { intervalMs: number; timeoutMs: number };
  /**
   * Messages that set up a new session (join rooms, re-subscribe): called on every authentication
   * that starts one, and sent before anything that was queued. Return an array (or one message),
   * not a promise: an `async` function is refused (an `invalid_message` error, nothing sent).
   */
  subscriptions?: () => unknown[] | unknown;
  /**
   * Off by default. `true`, or a key naming the session: the tabs of this origin that use the same
   * key and URL share one socket, held by the tab elected leader (a Web Lock); the others relay
   * through it (a BroadcastChannel) and never see the token. `sharing` says how the socket runs.
   */
  shareAcrossTabs?: boolean | string;
}

/** Every error the SDK throws or emits: an `Error` with a string `code`. */
export interface SecureWebSocketError extends Error {
  code: 'invalid_options' | 'insecure_url' | 'unauthorized' | 'token_unavailable' | 'auth_failed'
    | 'reauth_failed' | 'reconnect_failed' | 'invalid_frame' | 'queue_full' | 'message_too_large'
    | 'invalid_message' | 'invalid_argument' | 'closed' | 'unconfirmed' | 'server_error';
  /** For `server_error`: the code of the server's `error` frame (`rate_limited`, `not_in_room`, …). */
  serverCode?: string;
}

/** An application message: any JSON object with a string `type`. */
export interface SecureWebSocketMessage { type: string; [key: string]: unknown }

/** Payloads of each event. */
export interface SecureWebSocketEventMap {
  state: ConnectionState;
  /** `resumed`: the server kept the session across a reconnect (nothing was lost or repeated). */
  authenticated: { userId: string | null; resumed: boolean };
  message: SecureWebSocketMessage;
  reconnecting: { attempt: number; delayMs: number };
  close: { code: number; reason: string; willReconnect: boolean };
  error: SecureWebSocketError;
  /** A resumable session could not be resumed: messages may have been missed; reload your state. */
  resync: { reason: 'session_lost' };
}

declare global {
  // `[Symbol.dispose]` below, for a project whose `lib` lacks ESNext.Disposable (as @types/node declares it).
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

export interface SecureWebSocket {
  /**
   * Detaches every handler, then closes: no handler runs for an object that is being let go of;
   * a pending `ready()` or receipt rejects `closed`.
   */
  free(): void;
  [Symbol.dispose](): void;
  /** Closes with code 1000 and stops for good: no timer, fetch or reconnect fires afterwards. */
  close(): void;
  /**
   * Milliseconds until the next re-authentication on the live connection, or `null` when none
   * is scheduled. For diagnostics: the timing, never the token.
   */
  readonly nextReauthInMs: number | null;
  /**
   * Messages the session still owes the server: waiting to be sent, or sent and not yet
   * acknowledged (resumable session). Bounded by `maxQueuedMessages`.
   */
  readonly queuedCount: number;
  /** `'at-most-once'` until a server grants a resumable session, then `'exactly-once'`. */
  readonly delivery: 'at-most-once' | 'exactly-once';
  /**
   * Sends an application message: a JSON-serialisable object with a string `type` that names no
   * protocol frame (else `invalid_message`); queued until authenticated.
   * @throws {SecureWebSocketError} `queue_full`, `message_too_large`, `invalid_message` or `closed`.
   */
  send(data: unknown): void;
  /**
   * Like `send()`, with the same synchronous errors; resolves when the server acknowledged the
   * message, rejects `unconfirmed` on an at-most-once connection, or with the error that ended the session.
   */
  sendWithReceipt(data: unknown): Promise<void>;
  /** Resolves when authenticated; rejects with the error that ended the session if it ends `closed` first. */
  ready(): Promise<void>;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof SecureWebSocketEventMap>(type: K, handler: (payload: SecureWebSocketEventMap[K]) => void): () => void;
  /** The current lifecycle state. */
  readonly state: ConnectionState;
  /** Called with `{ userId }` on every successful authentication. */
  onAuthenticated: ((payload: SecureWebSocketEventMap['authenticated']) => void) | null | undefined;
  /** Called with each application message. */
  onMessage: ((message: SecureWebSocketMessage) => void) | null | undefined;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `SecureWebSocketOptions`, typed in the section above.
    #[wasm_bindgen(typescript_type = "SecureWebSocketOptions")]
    pub type SecureWebSocketOptions;
}
