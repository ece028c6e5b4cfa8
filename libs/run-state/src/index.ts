export {
  RUN_STATUSES,
  TASK_STATUSES,
  isRunStatus,
  isTaskStatus,
  isFinalRunStatus,
  isFinalTaskStatus,
  type RunStatus,
  type TaskStatus,
} from './statuses';
export { RUN_KEY_PARTS, runKeys, runKeyList, type RunKeyPart, type RunKeys } from './run-keys';
export {
  RunState,
  type TaskSpec,
  type RunRoute,
  type QueuedTask,
  type StartResult,
  type SettleInput,
  type SettleOutcome,
  type SettleResult,
  type PickupInput,
  type LoadedTask,
  type AbandonResult,
  type CancelResult,
  type RerunPlan,
  type RunStateOptions,
} from './run-state';
export {
  renderRecord,
  renderSummary,
  type RunRecord,
  type RunSummary,
  type TaskRecord,
  type TaskWaiting,
  type RunHashes,
} from './record';
export { RunIndex, isValidCursor, type ListQuery } from './run-index';
