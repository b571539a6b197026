// The chaos run of issue 10: two users exchange numbered messages in a room through resumable
// sessions while the server drops their sockets abruptly every ~200 ms (no close frame), restarts
// once (1012) and rejects one authentication. `makeSocket(user)` builds a SecureWebSocket for the
// user; `control(path, body)` calls a test control. Resolves with what each side saw.
export async function runChaos(makeSocket, control, count, deadlineMs) {
  // From a task of its own, not from inside the test's call into wasm.
  await new Promise((r) => setTimeout(r, 0));
  const users = ['chaos-a', 'chaos-b'];
  const sides = users.map((user) => {
    const ws = makeSocket(user);
    const side = { user, ws, received: [], receipts: [], resyncs: 0, authentications: 0, resumed: 0, errors: [] };
    ws.on('message', (m) => {
      if (m.type === 'message' && m.room === 'chaos' && m.sender !== user) side.received.push(m.content);
    });
    ws.on('resync', () => side.resyncs++);
    ws.on('authenticated', ({ resumed }) => {
      side.authentications++;
      if (resumed) side.resumed++;
    });
    ws.on('error', (e) => side.errors.push(e.code));
    return side;
  });
  await Promise.all(sides.map((s) => s.ws.ready()));
  const done = () => sides.every((s) => s.received.length >= count);
  // The faults run beside the traffic until both sides have everything.
  let faults = 0;
  let restarted = false;
  let rejected = false;
  const chaos = (async () => {
    while (!done()) {
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 100));
      if (done()) break;
      faults++;
      if (faults === 2 && !rejected) {
        rejected = true;
        await control('/test/faults', { user: users[1], rejectAuth: 1 });
      }
      if (faults === 4 && !restarted) {
        restarted = true;
        await control('/test/restart', {});
      } else {
        await control('/test/drop', {});
      }
    }
  })();
  // Each side sends `count` numbered messages, ten every 20 ms (so the traffic spans many faults),
  // each with a receipt.
  const senders = sides.map(async (side) => {
    for (let n = 0; n < count; n++) {
      side.receipts.push(side.ws.sendWithReceipt({ type: 'send_message', room: 'chaos', content: `${side.user}-${n}` }));
      if (n % 10 === 9) await new Promise((r) => setTimeout(r, 20));
    }
  });
  await Promise.all(senders);
  const deadline = new Promise((_, reject) => setTimeout(() => reject(new Error(`not done within ${deadlineMs} ms: ${sides.map((s) => `${s.user} got ${s.received.length}`).join(', ')}`)), deadlineMs));
  const settled = Promise.all(sides.map((s) => Promise.allSettled(s.receipts)));
  const results = await Promise.race([
    (async () => {
      while (!done()) await new Promise((r) => setTimeout(r, 50));
      return settled;
    })(),
    deadline,
  ]);
  await chaos;
  const summary = sides.map((side, i) => ({
    user: side.user,
    received: side.received,
    rejectedReceipts: results[i].filter((r) => r.status === 'rejected').map((r) => r.reason?.code ?? String(r.reason)),
    authentications: side.authentications,
    resumed: side.resumed,
    resyncs: side.resyncs,
    delivery: side.ws.delivery,
  }));
  sides.forEach((s) => s.ws.close());
  return { sides: summary, faults, restarted, rejected };
}
