// The environment variables templates may read (`GET /api/v1/environment`): names only, loaded
// once, for `env.` completion.
import { create } from 'zustand';
import type { EnvironmentOut } from '../../generated/openapi';
import { request } from '../../lib/http';

interface EnvironmentState {
  variables: string[] | null;
  load: () => Promise<void>;
}

export const useEnvironment = create<EnvironmentState>((set, get) => ({
  variables: null,
  load: async () => {
    if (get().variables) return;
    try {
      set({ variables: (await request<EnvironmentOut>('/api/v1/environment')).variables });
    } catch {
      // Completion still offers the names the document uses; nothing else depends on it.
      set({ variables: [] });
    }
  },
}));
