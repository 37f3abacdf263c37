// Polls GET /api/status every 100 ms from its own process, so the times measured are the
// runtime's and not those of a test process that is busy sending. On SIGTERM it prints the
// times (ms) as one JSON line and exits.
const url = process.argv[2];
const times = [];
let running = true;
process.on('SIGTERM', () => {
  running = false;
});
while (running) {
  const startedAt = performance.now();
  try {
    const answer = await fetch(`${url}/api/status`);
    await answer.json();
    times.push(performance.now() - startedAt);
  } catch {
    times.push(Number.POSITIVE_INFINITY);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
process.stdout.write(`${JSON.stringify(times.map((time) => (Number.isFinite(time) ? time : -1)))}\n`);
