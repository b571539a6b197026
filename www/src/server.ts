// Calls to the demo's backend (the test server, at the page's own origin). The login sets an
// HttpOnly cookie the page cannot read; the SDK turns it into WebSocket tokens by itself.

export const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

async function post(path: string, body?: unknown): Promise<Response> {
  return fetch(path, {
    method: 'POST',
    credentials: 'include',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function login(username: string, password: string): Promise<void> {
  const response = await post('/api/login', { username, password });
  if (!response.ok) throw new Error('wrong user name or password');
}

export async function logout(): Promise<void> {
  await post('/api/logout');
}

/**
 * The demo's fault buttons (the server runs with --demo-faults): they act only on the logged-in
 * user's own connections, so anyone can watch the SDK heal without being able to hurt anyone else.
 */
export const faults = {
  killConnection: (_user: string) => post('/api/demo/fault', { kind: 'kill_connection' }),
  rejectNextAuth: (_user: string) => post('/api/demo/fault', { kind: 'reject_next_auth' }),
};
