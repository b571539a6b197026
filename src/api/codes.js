// The numbers the wasm's `Session` (src/api/session.rs) and its JavaScript half exchange: the
// actions it answers, the inputs it is told, what its status reports. In a module of their own
// that imports nothing, so that a minifier puts the numbers in place of the names: esbuild keeps
// the top-level constants of a module that imports anything as variables, which cost the
// package ~150 B gzip (issue 14).

// What `Session.pollAction()` answers: the `kind` module of src/api/session.rs.
export const TIMER = 1;
export const DIRECT = 2;
export const FETCH_TOKEN = 3;
export const ABORT_TOKEN = 4;
export const OPEN_SOCKET = 5;
export const CLOSE_SOCKET = 6;
export const COLLECT_SUBSCRIPTIONS = 7;
export const TOO_LARGE = 8;
export const STATE = 10;
export const AUTHENTICATED = 11;
export const MESSAGE = 12;
export const RECONNECTING = 13;
export const CLOSE = 14;
export const ERROR = 15;
export const RESYNC = 16;
export const DELIVERED = 17;
export const UNCONFIRMED = 18;
export const UNDELIVERABLE = 19;
export const REPLICATE = 20;

// What `Session.handle(input, n, value, number)` is told: the `input` module of src/api/session.rs.
export const OPENED = 0;
export const CLOSED = 1;
export const PAGE = 2;
export const TIMEOUT = 3;
export const SUBSCRIPTIONS = 4;
export const CLOSE_SESSION = 5;
export const HAND_OVER = 6;
/** A token answer: TOKEN + io.js's answer kind (7 to 10). */
export const TOKEN = 7;
export const STAGE = 11;
export const REPLICATE_SESSION = 12;
export const CLOSING = 13;

// An error action's code (its `n0`): core::error's `CODES`, in order.
export const ERROR_CODES = [
  'invalid_options', 'insecure_url', 'unauthorized', 'token_unavailable', 'auth_failed', 'reauth_failed', 'reconnect_failed',
  'invalid_frame', 'queue_full', 'message_too_large', 'invalid_message', 'invalid_argument', 'closed', 'unconfirmed',
  'server_error',
];

// What `Session.status(what)` answers (src/api/session.rs).
export const STATUS_STATE = 0;
export const STATUS_RESUMABLE = 1;
export const STATUS_QUEUED = 2;
export const STATUS_NEXT_ID = 3;
export const STATUS_NEXT_REAUTH_AT = 4;
export const STATUS_SERVER_MESSAGE_LIMIT = 5;
