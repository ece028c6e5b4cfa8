import { isPlainObject, TaskFailure, type TaskHandler } from './handler';

/** `sleep {ms}`: waits ms milliseconds (aborted by the timeout). Output: `{slept: ms}`. */
export const sleepHandler: TaskHandler = {
  kind: 'sleep',
  validate(payload) {
    if (!isPlainObject(payload) || !Number.isInteger(payload['ms']) || (payload['ms'] as number) < 0)
      return ['payload.ms must be a non-negative integer'];
    return undefined;
  },
  run(payload, { signal }) {
    const ms = (payload as { ms: number }).ms;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve({ slept: ms });
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  },
};

/** `echo {…}`: the output is the payload. */
export const echoHandler: TaskHandler = {
  kind: 'echo',
  run: async (payload) => payload ?? null,
};

/**
 * `fail {message, attempts}`: fails with the message. With `attempts` (a positive integer), only the
 * first `attempts` attempts of the task fail; a later attempt (a retry, see the task's `retries`)
 * succeeds with an output saying so, which makes a retried task easy to show and to test.
 */
export const failHandler: TaskHandler = {
  kind: 'fail',
  validate(payload) {
    if (payload === undefined || payload === null) return undefined;
    if (!isPlainObject(payload)) return ['payload must be an object: {message, attempts}'];
    const problems: string[] = [];
    if (payload['message'] !== undefined && typeof payload['message'] !== 'string')
      problems.push('payload.message must be a string');
    const attempts = payload['attempts'];
    if (attempts !== undefined && (!Number.isInteger(attempts) || (attempts as number) < 1))
      problems.push('payload.attempts must be a positive integer');
    return problems.length > 0 ? problems : undefined;
  },
  run: async (payload, { assignment }) => {
    const fields = isPlainObject(payload) ? payload : {};
    const message = typeof fields['message'] === 'string' ? fields['message'] : 'task failed';
    const attempts = typeof fields['attempts'] === 'number' ? fields['attempts'] : undefined;
    if (attempts !== undefined && assignment.attempt > attempts)
      return { succeeded: `attempt ${assignment.attempt} succeeds: only the first ${attempts} fail` };
    throw new TaskFailure(message);
  },
};
