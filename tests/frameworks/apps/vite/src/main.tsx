// What a new user writes after `npm install secure-ws`, one scenario per `?case=` (default: the
// README's quick start), all under StrictMode as `npm create vite` sets it up.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Early } from './Early';
import { Hidden } from './Hidden';
import { Latest } from './Latest';
import { Leave } from './Leave';
import { Limits } from './Limits';
import { Quick } from './Quick';
import { Room } from './Room';
import { Typo } from './Typo';
import { SocketState } from './SocketState';
import { Url } from './Url';

const cases = { quick: Quick, early: Early, latest: Latest, limits: Limits, 'socket-state': SocketState, leave: Leave, hidden: Hidden, url: Url, room: Room, typo: Typo };
const Case = cases[(new URLSearchParams(location.search).get('case') ?? 'quick') as keyof typeof cases];

await fetch('/api/login', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'alice', password: 'alice-pass' }),
});
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Case />
  </StrictMode>,
);
