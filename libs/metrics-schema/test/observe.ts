import { Registry } from 'prom-client';
import {
  createEnvRunnerHardwareMetrics,
  createEnvRunnerMetrics,
  createOrchestratorMetrics,
  createSupervisorMetrics,
} from '../src';

/** A fixed sequence of observations per metric set, touching every metric; the golden files are its exposition. */
export const SEQUENCES: Record<string, (r: Registry) => void> = {
  supervisor(r) {
    const m = createSupervisorMetrics(r);
    m.meshDispatch.inc({ status: 'success' }, 3);
    m.meshDispatch.inc({ status: 'retry' });
    m.meshDispatch.inc({ status: 'failure' });
    m.meshDispatch.inc({ status: 'missing' }, 2);
    m.workerLatencySeconds.inc({ worker: 'runner-a' }, 0.25);
    m.workerLatencySamples.inc({ worker: 'runner-a' });
    m.workerTaskFailures.inc({ worker: 'runner-a' });
    m.pendingQueueDepth.set(4);
    m.meshQueueDepth.set(2);
    m.workflowEvents.inc({ workflow: 'etl', outcome: 'success' });
    m.workflowEvents.inc({ workflow: 'etl', outcome: 'failure' });
    m.workflowLatencySeconds.inc({ workflow: 'etl' }, 1.5);
    m.workflowLatencySamples.inc({ workflow: 'etl' }, 2);
    m.tenantDomainOverride.set({ tenant: 'acme', domain: 'gpu-east' }, 1);
    m.routedAssignments.inc({ domain: 'gpu-east', route: 'override' });
    m.runnersOnline.set({ domain: 'gpu-east' }, 1);
    m.duplicateAcks.inc();
    m.streamTrimmed.inc({ stream: 'acks' }, 250);
    m.deadLetters.inc({ stream: 'workflows', reason: 'rejected' });
  },
  'env-runner'(r) {
    const m = createEnvRunnerMetrics(r);
    m.assignmentsProcessed.inc({ kind: 'echo' }, 2);
    m.assignmentsFailed.inc({ kind: 'fail', reason: 'error' });
    m.assignmentLatency.observe({ kind: 'echo' }, 0.003);
    m.assignmentLatency.observe({ kind: 'echo' }, 0.2);
    m.inFlight.set(1);
    m.deadLetters.inc({ reason: 'malformed_json' });
    m.hardwareDetectionErrors.inc({ source: 'gpu' });
    m.hardwareChanges.inc();
  },
  'env-runner-hardware'(r) {
    const m = createEnvRunnerHardwareMetrics(r);
    m.cpuInfo.set({ vendor: 'AMD', model: 'AMD EPYC 9654 96-Core Processor', arch: 'x64' }, 1);
    m.cpuCores.set({ type: 'physical' }, 96);
    m.cpuCores.set({ type: 'logical' }, 192);
    m.memoryTotalBytes.set(1623497539584);
    m.gpuInfo.set({ index: '0', vendor: 'NVIDIA', model: 'NVIDIA H100 80GB HBM3', driver: '550.54.15' }, 1);
    m.gpuMemoryTotalBytes.set({ index: '0' }, 85520809984);
    m.hardwareCollectedTimestamp.set(1795000000);
  },
  orchestrator(r) {
    const m = createOrchestratorMetrics(r);
    m.submissionsAccepted.inc(5);
    m.submissionsRejected.inc({ reason: 'invalid' });
    m.httpRequestDuration.observe({ route: 'POST /workflow', status_class: '2xx' }, 0.004);
  },
};

export async function render(set: string): Promise<string> {
  const registry = new Registry();
  const sequence = SEQUENCES[set];
  if (!sequence) throw new Error(`no sequence for ${set}`);
  sequence(registry);
  return registry.metrics();
}
