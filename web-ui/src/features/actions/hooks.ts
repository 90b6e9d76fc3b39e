// The action catalog from the server (titles, descriptions, config JSON Schemas), loaded once.
import { useEffect } from 'react';
import { create } from 'zustand';
import type { ActionInfo } from '../../lib/types';
import type { JsonSchema } from '../../editor/form/jsonSchema';
import { describeError } from '../../lib/http';
import { actionsApi } from './api';

interface ActionsState {
  actions: ActionInfo[] | null;
  error: string | null;
  loading: boolean;
  load: () => Promise<void>;
}

export const useActions = create<ActionsState>((set, get) => ({
  actions: null,
  error: null,
  loading: false,
  load: async () => {
    if (get().loading || get().actions) return;
    set({ loading: true, error: null });
    try {
      set({ actions: await actionsApi.list(), loading: false });
    } catch (e) {
      set({ error: describeError(e), loading: false });
    }
  },
}));

/** The catalog, loading it on first use. */
export function useActionCatalog(): ActionsState {
  const state = useActions();
  const { actions, loading, error, load } = state;
  useEffect(() => {
    if (!actions && !loading && !error) void load();
  }, [actions, loading, error, load]);
  return state;
}

export function useActionInfo(kind: string): ActionInfo | undefined {
  return useActions((s) => s.actions?.find((a) => a.kind === kind));
}

/** The output schemas of the actions that describe their answer (connector operations). */
export function outputSchemas(actions: ActionInfo[] | null): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const a of actions ?? []) if (a.connector?.output_schema) out[a.kind] = a.connector.output_schema as JsonSchema;
  return out;
}
