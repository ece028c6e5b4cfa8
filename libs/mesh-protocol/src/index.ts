export { MESH_NAME_PATTERN, isMeshName, meshNameProblem } from './names';
export {
  createKeys,
  prefixProblem,
  PROTOCOL_VERSION,
  DEFAULT_STREAM_PREFIX,
  GROUPS,
  RUN_EVENTS_MAX_LEN,
  MAX_PARTITIONS,
  type MeshKeys,
  type PartitionKeys,
} from './keys';
export { keySlot, partitionTag, CLUSTER_SLOTS } from './slot';
export * from './messages';
export { validateMessage, formatProblems, type Validation } from './validate';
export { encodeEntry, decodeEntry, decodeAcksEntry, fieldMap, type EntryFields, type Decoded } from './codec';
export {
  createRedisClient,
  isClusterClient,
  mastersOf,
  spreadPipeline,
  pingRedis,
  probeRedis,
  isNoGroupError,
  isNoReplyError,
  whenReady,
  DEFAULT_NO_REPLY_TIMEOUT_MS,
  type Redis,
  type RedisClientOptions,
  type RedisTarget,
} from './redis';
export { StreamPublisher } from './publisher';
export {
  RedisStreamConsumer,
  wasDelivered,
  CONSUMER_DEFAULTS,
  type ConsumedEntry,
  type ReclaimResult,
  type StreamConsumerOptions,
} from './consumer';
export { backoffDelay, sleep } from './backoff';
export { validateManifest, manifestSchema, type MeshManifest } from './manifest';
export { graphProblems, topologicalOrder } from './graph';
export {
  validateWorkflowRequest,
  workflowRequestSchema,
  DEFAULT_TASK_TIMEOUT_MS,
  type WorkflowRequest,
} from './api/workflow-request';
export { parseRunnerRegistry, readRunnerRegistry, isLiveRunner, type RunnerRegistration } from './runners';
export { trimAcknowledged, firstNeededId } from './trim';
export { newRunId, runIdTime } from './run-id';
export { describeRequirements, requirementsSchema, satisfies, type TaskRequirements } from './requirements';
