export { MeshHarness, FAST_SUPERVISOR, sample } from './mesh-harness';
export { readAcks, readReports } from './acks';
