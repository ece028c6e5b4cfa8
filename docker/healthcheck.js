// Container health check: GET /healthz on the app's own listen address (set by MESH_APP).
const listen = {
  supervisor: process.env.SUPERVISOR_METRICS_LISTEN || ':9098',
  'env-runner': process.env.RUNNER_LISTEN || ':8083',
  orchestrator: process.env.ORCHESTRATOR_LISTEN || ':9097',
}[process.env.MESH_APP];
if (!listen) {
  console.error(`unknown MESH_APP ${process.env.MESH_APP}`);
  process.exit(1);
}
const port = listen.slice(listen.lastIndexOf(':') + 1);
fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })
  .then((res) => process.exit(res.ok ? 0 : 1))
  .catch(() => process.exit(1));
