// Logs the browser in as `user` (password `<user>-pass`, as the tests start the server): the
// HttpOnly session cookie then serves every tab of the context.
export async function login(user) {
  const response = await fetch('/api/login', {
    method: 'POST',
    credentials: 'include',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password: `${user}-pass` }),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status}`);
}
