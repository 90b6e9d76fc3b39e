import type { ActionInfo, ActionList } from '../../lib/types';
import { request } from '../../lib/http';

export const actionsApi = {
  list: async (): Promise<ActionInfo[]> => (await request<ActionList>('/api/v1/actions')).items,
};
