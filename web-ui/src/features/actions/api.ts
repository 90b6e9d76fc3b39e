import type { ActionInfo } from '../../generated/api';
import { request } from '../../lib/http';

export const actionsApi = {
  list: () => request<ActionInfo[]>('/api/v1/actions'),
};
