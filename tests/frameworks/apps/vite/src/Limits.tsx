// The same sends, made through the hook before its socket exists and straight to a
// SecureWebSocket, must throw the same codes: the hook's early queue is bounded like the SDK's.
import { useEffect, useRef, useState } from 'react';
import { SecureWebSocket } from 'secure-ws';
import { useSecureWebSocket } from 'secure-ws/react';
import { wsUrl } from './messages';

const options = { tokenUrl: '/api/ws-token', maxQueuedMessages: 2, maxMessageBytes: 64 };

function codes(send: (data: unknown) => void): string {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const attempts = [{ type: 'echo', from: 'x'.repeat(64) }, cyclic, 1n, undefined, { type: 'a' }, { type: 'b' }, { type: 'c' }];
  return attempts
    .map((data) => {
      try {
        send(data);
        return 'ok';
      } catch (e) {
        return (e as { code: string }).code;
      }
    })
    .join(',');
}

export function Limits() {
  const { state, send } = useSecureWebSocket(wsUrl, options);
  const [hook, setHook] = useState('');
  const [sdk, setSdk] = useState('');
  // Once: StrictMode runs effects twice, and the second run would meet the first's queue.
  const tried = useRef(false);
  useEffect(() => {
    if (tried.current) return;
    tried.current = true;
    setHook(codes(send));
  }, [send]);
  useEffect(() => {
    if (state !== 'authenticated' || sdk) return;
    const direct = new SecureWebSocket(wsUrl, options);
    setSdk(codes((data) => direct.send(data)));
    // Closed once authenticated: closing a socket still connecting makes the browser warn.
    direct.ready().finally(() => direct.free());
  }, [state, sdk]);
  return (
    <p id="status" data-hook={hook} data-sdk={sdk}>
      {state}
    </p>
  );
}
