export {
  SUPERVISOR_METRICS,
  ENV_RUNNER_METRICS,
  ENV_RUNNER_HARDWARE_METRICS,
  ORCHESTRATOR_METRICS,
  ORCHESTRATOR_ROUTES,
  METRIC_SETS,
  DEAD_LETTER_REASONS,
  STREAM_LABELS,
  type MetricDefinition,
  type MetricSet,
  type MetricType,
} from './definitions';
export {
  INVALID_LABEL_VALUE,
  OVERFLOW_LABEL_VALUE,
  type LabelSpec,
  type EnumLabel,
  type NameLabel,
  type TextLabel,
} from './labels';
export {
  registerMetrics,
  type Metrics,
  type Instrument,
  type LabelsOf,
  type RegisterOptions,
  type CounterHandle,
  type GaugeHandle,
  type HistogramHandle,
} from './factory';
export { LabelGuard, type InvalidHandler, type OverflowHandler } from './label-guard';
export { initialiseEnvRunnerMetrics } from './initialise';

import type { Registry } from 'prom-client';
import {
  ENV_RUNNER_HARDWARE_METRICS,
  ENV_RUNNER_METRICS,
  ORCHESTRATOR_METRICS,
  SUPERVISOR_METRICS,
} from './definitions';
import { registerMetrics, type Metrics, type RegisterOptions } from './factory';

export type SupervisorMetrics = Metrics<typeof SUPERVISOR_METRICS>;
export type EnvRunnerMetrics = Metrics<typeof ENV_RUNNER_METRICS>;
export type EnvRunnerHardwareMetrics = Metrics<typeof ENV_RUNNER_HARDWARE_METRICS>;
export type OrchestratorMetrics = Metrics<typeof ORCHESTRATOR_METRICS>;

export const createSupervisorMetrics = (r: Registry, o?: RegisterOptions): SupervisorMetrics =>
  registerMetrics(r, SUPERVISOR_METRICS, o);
export const createEnvRunnerMetrics = (r: Registry, o?: RegisterOptions): EnvRunnerMetrics =>
  registerMetrics(r, ENV_RUNNER_METRICS, o);
export const createEnvRunnerHardwareMetrics = (r: Registry, o?: RegisterOptions): EnvRunnerHardwareMetrics =>
  registerMetrics(r, ENV_RUNNER_HARDWARE_METRICS, o);
export const createOrchestratorMetrics = (r: Registry, o?: RegisterOptions): OrchestratorMetrics =>
  registerMetrics(r, ORCHESTRATOR_METRICS, o);
