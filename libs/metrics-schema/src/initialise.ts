import type { EnvRunnerMetrics } from './index';
import { ENV_RUNNER_METRICS } from './definitions';
import { OVERFLOW_LABEL_VALUE } from './labels';

/*
 * Label values known at start are created at 0, so `rate()` and `increase()` see the first event instead
 * of a series that appears already at 1. Counters whose labels are all enums are created at registration;
 * these functions add the series whose name labels a service knows from its configuration.
 */

/**
 * Creates every outcome series of each task kind the runner executes, and of `_other` (the label of kinds it
 * does not execute). Call once at start-up.
 */
export function initialiseEnvRunnerMetrics(metrics: EnvRunnerMetrics, known: { kinds: readonly string[] }): void {
  for (const kind of [...known.kinds, OVERFLOW_LABEL_VALUE]) {
    metrics.assignmentsProcessed.zero({ kind });
    for (const reason of ENV_RUNNER_METRICS.assignmentsFailed.labels.reason.values)
      metrics.assignmentsFailed.zero({ kind, reason });
  }
}
