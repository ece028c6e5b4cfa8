export { MeshHarness, FAST_SUPERVISOR, sample, useMesh, type MeshHarnessOptions } from './mesh-harness';
export { readAcks, readReports } from './acks';
