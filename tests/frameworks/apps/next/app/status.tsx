'use client';
// The README's Next.js example: a client component with the hook. The page is prerendered at
// build time, so the hook runs on the server too; the socket is only ever made in the browser.
// The test server's address is baked in at build time, as an app would bake in its API's.
import { useEffect } from 'react';
import type { ConnectionState } from 'secure-ws';
import { useSecureWebSocket } from 'secure-ws/react';

type Echo = { type: 'echo'; from: string };

const server = process.env.NEXT_PUBLIC_SECURE_WS_SERVER;

export function Status({ initial }: { initial: ConnectionState }) {
  const { state, send, lastMessage } = useSecureWebSocket<Echo, Echo>(`ws://${server}/ws`, {
    tokenUrl: `http://${server}/api/ws-token`,
  });
  useEffect(() => {
    if (state === 'authenticated') send({ type: 'echo', from: 'next' });
  }, [state, send]);
  return (
    <p id="status" data-initial={initial} data-message={lastMessage?.from ?? ''}>
      {state}
    </p>
  );
}
