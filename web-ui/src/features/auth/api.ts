import { request } from '../../lib/http';

/** Checks a key by listing the workflows with it; throws `ApiError` (401 when refused). */
export async function checkKey(key: string): Promise<void> {
  await request('/api/v1/workflows', { key, keepSession: true });
}
