// Loads data for a component: loading, error and reload, with no endless spinner (an error
// ends the loading state) and no update after unmount.
import { useCallback, useEffect, useState } from 'react';
import { describeError, isAbort } from './http';

export interface Async<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
  /** Replaces the loaded data locally (after a change the server confirmed). */
  setData: (update: (data: T | undefined) => T | undefined) => void;
}

/**
 * `load` must be stable (wrap it in `useCallback`); it runs again when it or `refreshKey`
 * changes.
 */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, refreshKey?: unknown): Async<T> {
  const [tick, setTick] = useState(0);
  const [state, setState] = useState<{ tick: number; load: unknown; data?: T; error: string | null }>({ tick: -1, load: null, error: null });
  useEffect(() => {
    const ac = new AbortController();
    load(ac.signal).then(
      (data) => setState({ tick, load, data, error: null }),
      (e) => {
        if (!isAbort(e)) setState((s) => ({ tick, load, data: s.load === load ? s.data : undefined, error: describeError(e) }));
      },
    );
    return () => ac.abort();
  }, [load, tick, refreshKey]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const setData = useCallback((update: (data: T | undefined) => T | undefined) => setState((s) => ({ ...s, data: update(s.data) })), []);
  const current = state.tick === tick && state.load === load;
  return {
    data: state.load === load ? state.data : undefined,
    error: current ? state.error : null,
    loading: !current,
    reload,
    setData,
  };
}
