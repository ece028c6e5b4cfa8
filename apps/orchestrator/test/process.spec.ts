import { describeServiceLifecycle } from '@mesh/testing';

describeServiceLifecycle({
  app: 'orchestrator',
  listenEnv: 'ORCHESTRATOR_LISTEN',
  metricsPaths: ['/metrics'],
  env: () => ({ MESH_STREAM_PREFIX: `test:orchestrator-proc-${process.pid}` }),
});
