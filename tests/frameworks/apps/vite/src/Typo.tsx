// A handler under a name the SDK has no event for, from the first render: the hook reports it in
// `error` (`invalid_argument`), as it does for one added by a later render.
import { useSecureWebSocket } from 'secure-ws/react';
import { wsUrl } from './messages';

// What a plain-JS app (or a cast) can pass: the typings refuse the misspelled key.
const handlers = { mesage: () => {} } as unknown as Parameters<typeof useSecureWebSocket>[2];

export function Typo() {
  const { state, error } = useSecureWebSocket(wsUrl, { tokenUrl: '/api/ws-token' }, handlers);
  return (
    <p id="status" data-error={(error as { code?: string } | null)?.code ?? ''}>
      {state}
    </p>
  );
}
