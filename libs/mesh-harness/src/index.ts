export { MeshHarness, FAST_SUPERVISOR, sample, useMesh } from './mesh-harness';
export { readAcks, readReports } from './acks';
