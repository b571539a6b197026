// `secure-ws/react`: one SecureWebSocket per mounted component, closed and freed on unmount.
// React 19 StrictMode mounts, unmounts and mounts again in development: the first socket is
// closed by the first cleanup, so exactly one stays open.
import { useCallback, useEffect, useRef, useState } from 'react';
import { SecureWebSocket } from '../pkg/secure_ws.js';

const EVENTS = ['state', 'authenticated', 'message', 'reconnecting', 'close', 'error'];

export function useSecureWebSocket(url, options, handlers) {
  // Options and handlers are read when the socket is created and when events fire, so passing
  // a new object literal on every render neither reconnects nor drops events. Changing `url`
  // replaces the socket.
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;
  const socketRef = useRef(null);
  const [state, setState] = useState('connecting');
  const [lastMessage, setLastMessage] = useState(null);
  const [error, setError] = useState(null);
  const [queuedCount, setQueuedCount] = useState(0);

  useEffect(() => {
    let ws;
    try {
      ws = new SecureWebSocket(url, optionsRef.current);
    } catch (e) {
      setError(e);
      setState('closed');
      return undefined;
    }
    socketRef.current = ws;
    setState(ws.state);
    setError(null);
    setQueuedCount(ws.queuedCount);
    const unsubscribe = EVENTS.map((type) =>
      ws.on(type, (payload) => {
        if (type === 'state') setState(payload);
        if (type === 'message') setLastMessage(payload);
        if (type === 'error') setError(payload);
        setQueuedCount(ws.queuedCount);
        handlersRef.current?.[type]?.(payload);
      }),
    );
    return () => {
      unsubscribe.forEach((off) => off());
      if (socketRef.current === ws) socketRef.current = null;
      ws.close();
      ws.free();
    };
  }, [url]);

  const send = useCallback((data) => {
    const ws = socketRef.current;
    if (!ws) {
      const e = new Error('the socket is not open (the component is unmounting or the options were refused)');
      e.name = 'SecureWebSocketError';
      e.code = 'closed';
      throw e;
    }
    ws.send(data);
    setQueuedCount(ws.queuedCount);
  }, []);

  return { state, send, lastMessage, error, queuedCount, socket: socketRef.current };
}
