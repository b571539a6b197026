'use client';
// `secure-ws/react`: one SecureWebSocket per mounted component, closed and freed on unmount.
// 'use client' lets a server component import this module; the hook itself runs only in the
// browser (the socket is made in an effect, which server rendering never runs).
import { useCallback, useEffect, useInsertionEffect, useLayoutEffect, useRef, useState } from 'react';
import { SecureWebSocket } from '../js/index.js';
import { report, sdkError } from '../pkg/events.js';
import { enqueue } from './pending.js';
import { throughRef } from './through-ref.js';

// The events the hook's own state follows; a handler's event is subscribed to on top.
const TRACKED = ['state', 'message', 'error'];

// Layout effects come back before every passive effect of the subtree (StrictMode's second run,
// an <Activity> shown again), so the queue opens again before a child's effect sends. No effect
// runs on the server: useEffect there spares React 18's warning about useLayoutEffect.
const useReopeningEffect = typeof document === 'undefined' ? useEffect : useLayoutEffect;

function closedError() {
  return sdkError('closed', 'the socket is closed (the component unmounted or the options were refused)');
}

/**
 * Sends with a receipt, so that `queuedCount` also follows the server's acknowledgements (on an
 * exactly-once session a message counts until acknowledged, and no event marks that). The
 * receipt's rejection needs no handling here: an undeliverable message is an `error` event, and
 * at-most-once receipts reject by design.
 */
function sendCounted(ws, data, setQueuedCount) {
  const recount = () => setQueuedCount(ws.queuedCount);
  ws.sendWithReceipt(data).then(recount, recount);
  recount();
}

export function useSecureWebSocket(url, options, handlers) {
  // The latest committed render's options and handlers: read when the socket calls them, so new
  // object literals on every render neither reconnect nor call a stale closure.
  const optionsRef = useRef(options);
  const handlersRef = useRef(handlers);
  useInsertionEffect(() => {
    optionsRef.current = options;
    handlersRef.current = handlers;
  });
  // The socket and its state, with the url they belong to: from the first render for a new url,
  // `state` is `connecting` and `socket` null, before the effect that replaces the old one has run
  // (an effect keyed on `state` must not see the old socket's `authenticated` and send twice).
  const [live, setLive] = useState({ url, socket: null, state: 'connecting' });
  const { socket, state } = live.url === url ? live : { socket: null, state: 'connecting' };
  const [lastMessage, setLastMessage] = useState(null);
  const [error, setError] = useState(null);
  const [queuedCount, setQueuedCount] = useState(0);
  // What send() talks to, never read during render: the live socket, or the sends made before
  // it exists. `listen` subscribes to events of handlers added after the socket was made.
  const link = useRef({ socket: null, pending: [], ended: false, mounted: false, listen: null });

  useEffect(() => {
    const current = link.current;
    current.ended = false;
    let cancelled = false;
    let ws = null;
    const offs = [];
    // React's StrictMode runs this effect, its cleanup and the effect again in one go: making the
    // socket a microtask later means the first run's cleanup cancels it before it exists, so one
    // socket is opened, and none is closed while connecting (the browser warns about that).
    queueMicrotask(() => {
      if (cancelled) return;
      try {
        ws = new SecureWebSocket(url, throughRef(optionsRef));
      } catch (e) {
        current.ended = true;
        current.pending = [];
        setError(e);
        setLive({ url, socket: null, state: 'closed' });
        setQueuedCount(0);
        return;
      }
      const subscribed = new Set();
      current.listen = () => {
        for (const type of [...TRACKED, ...Object.keys(handlersRef.current ?? {})]) {
          if (subscribed.has(type)) continue;
          subscribed.add(type);
          try {
            offs.push(
              ws.on(type, (payload) => {
                if (type === 'state') setLive((shown) => (shown.socket === ws ? { ...shown, state: payload } : shown));
                else if (type === 'message') setLastMessage(payload);
                else if (type === 'error') setError(payload);
                setQueuedCount(ws.queuedCount);
                handlersRef.current?.[type]?.(payload);
              }),
            );
          } catch (e) {
            setError(e); // a handler for an event the SDK does not have
          }
        }
      };
      // Before listen(): an unknown handler key it reports must stay reported.
      setError(null);
      current.listen();
      const queued = current.pending;
      current.pending = [];
      current.socket = ws;
      setLive({ url, socket: ws, state: ws.state });
      try {
        for (const text of queued) sendCounted(ws, JSON.parse(text), setQueuedCount);
      } catch (e) {
        setError(e);
      }
      setQueuedCount(ws.queuedCount);
    });
    return () => {
      cancelled = true;
      current.socket = null;
      current.listen = null;
      if (ws) {
        offs.forEach((off) => off());
        ws.close();
        ws.free();
      }
      // Hidden (an <Activity>) or unmounted: shown again, it connects anew.
      setLive({ url, socket: null, state: 'connecting' });
    };
  }, [url]);

  // Unmounting (not a new url) drops what was sent before the socket existed, as close() drops
  // what it queued, and ends the queue: later sends throw `closed`. The end waits a microtask:
  // StrictMode (and an <Activity> shown again) runs this cleanup and then every effect again, a
  // child's passive ones after this one's setup, and that child's sends must queue, not throw.
  // A send made in that window by a component that is really going (a child's cleanup, run
  // after its parent's) is reported, not dropped silently: there is no caller left to throw to.
  useReopeningEffect(() => {
    const current = link.current;
    current.mounted = true;
    current.ended = false;
    return () => {
      current.mounted = false;
      current.pending = [];
      queueMicrotask(() => {
        if (current.mounted) return;
        current.ended = true;
        if (current.pending.length > 0) report(closedError());
        current.pending = [];
      });
    };
  }, []);

  useEffect(() => {
    link.current.listen?.();
  });

  const send = useCallback((data) => {
    const current = link.current;
    if (current.socket) {
      sendCounted(current.socket, data, setQueuedCount);
      return;
    }
    if (current.ended) throw closedError();
    enqueue(current.pending, data, optionsRef.current);
    setQueuedCount(current.pending.length);
  }, []);

  return { state, send, lastMessage, error, queuedCount, socket };
}
