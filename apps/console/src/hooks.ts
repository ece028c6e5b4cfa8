import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * Calls `load` now and again `intervalMs` after each call ends (never two at once), until unmounted or
 * `deps` change; the signal aborts the call in flight then.
 */
export function usePolling(load: (signal: AbortSignal) => Promise<void>, intervalMs: number, deps: unknown[]): void {
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async (): Promise<void> => {
      try {
        await latest.current(ctl.signal);
      } catch {
        // load shows its own errors; polling goes on.
      } finally {
        if (!ctl.signal.aborted) timer = setTimeout(() => void tick(), intervalMs);
      }
    };
    void tick(); // never rejects: errors are caught above.
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
  }, deps);
}

/** The current time, refreshed every `intervalMs` while `live`. */
export function useNow(intervalMs: number, live: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!live) return undefined;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, live]);
  return now;
}

/** The page's hash, updated on navigation. */
export function useHash(): string {
  const [hash, setHash] = useState(() => location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}
