export {
  MeshClient,
  type MeshClientOptions,
  type ListRunsQuery,
  type ListWorkflowRunsQuery,
  type FollowOptions,
} from './mesh-client';
export { MeshApiError, MeshNetworkError } from './errors';
export { SseParser, readSse, type SseMessage } from './sse';
export { applyChange } from './apply-change';
export { describeRequirements, describeRoute } from './requirements';
export * from './types';
