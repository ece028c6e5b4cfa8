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

/** `fail {message}`: fails with the message. */
export const failHandler: TaskHandler = {
  kind: 'fail',
  validate(payload) {
    if (
      payload !== undefined &&
      payload !== null &&
      (!isPlainObject(payload) || (payload['message'] !== undefined && typeof payload['message'] !== 'string'))
    ) {
      return ['payload.message must be a string'];
    }
    return undefined;
  },
  run: async (payload) => {
    const message =
      isPlainObject(payload) && typeof payload['message'] === 'string' ? payload['message'] : 'task failed';
    throw new TaskFailure(message);
  },
};
