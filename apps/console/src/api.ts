import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { MeshApiError, type MeshClient } from '@mesh/client';

/** What pages use to reach the API: the typed client, and where to send its errors. */
export interface Api {
  readonly client: MeshClient;
  /**
   * Turns an error of a call into the text to show, or undefined when there is none to show: an aborted
   * call, or a 401 (the console asks for the token instead).
   */
  problem(err: unknown): string | undefined;
}

export const ApiContext = createContext<Api | undefined>(undefined);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiContext');
  return api;
}

/** Whether a call was aborted on purpose (the page moved on). */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

/** The problem text of an error, or undefined for an abort; `onUnauthorized` is told of a 401. */
export function describeProblem(err: unknown, onUnauthorized: () => void): string | undefined {
  if (isAbort(err)) return undefined;
  if (err instanceof MeshApiError) {
    if (err.status === 401) {
      onUnauthorized();
      return undefined;
    }
    return `${err.message} (${err.code})`;
  }
  return err instanceof Error ? err.message : String(err);
}
