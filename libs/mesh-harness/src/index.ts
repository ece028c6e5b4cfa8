export { MeshHarness, FAST_SUPERVISOR, sample } from './mesh-harness';
