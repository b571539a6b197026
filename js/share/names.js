// The one name a shared session is known by: the Web Lock the leader holds and the
// BroadcastChannel the tabs talk on. It holds the socket URL, so two URLs never share a socket,
// and the app's key, so two sessions to one URL can be shared separately. Both APIs are scoped to
// the origin by the browser: another site can never join.
import { pageUrl } from '../../pkg/options.js';

const PREFIX = 'secure-ws:tabs';

/** `shareAcrossTabs` (`true` or a non-empty key) and the URL → the lock and channel name. */
export function sessionName(shareAcrossTabs, url) {
  const key = shareAcrossTabs === true ? 'default' : shareAcrossTabs;
  return `${PREFIX}:${JSON.stringify([key, normalised(url)])}`;
}

// Two spellings of one URL (`WS://Host/ws`, `ws://host/ws`, and `/ws` on that host's page) are one
// socket: read as the class reads it (options.js's `pageUrl`). The constructor has checked the URL
// by now; the fallback only keeps this total.
function normalised(url) {
  try {
    return pageUrl(url).href;
  } catch {
    return String(url);
  }
}
