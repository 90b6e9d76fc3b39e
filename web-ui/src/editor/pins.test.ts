import { describe, expect, it } from 'vitest';
import { hasPins, sampleData } from './pins';

describe('sample data for previews and completion', () => {
  it('is nothing without a run or pins', () => {
    expect(sampleData(null, { trigger: null, steps: {} })).toBeNull();
    expect(hasPins({ trigger: null, steps: {} })).toBe(false);
  });

  it('reads pins before the last run', () => {
    const lastRun = { request: { method: 'POST', path: '/hooks/x', body: { email: 'run@example.com' } }, outputs: { a: { id: 1 }, b: { id: 2 } } };
    const data = sampleData(lastRun, { trigger: { body: { email: 'pin@example.com' }, headers: {}, query: {} }, steps: { b: { id: 20 } } });
    expect(data?.request?.body).toEqual({ email: 'pin@example.com' });
    expect(data?.request?.method).toBe('POST');
    expect(data?.outputs).toEqual({ a: { id: 1 }, b: { id: 20 } });
    expect(hasPins({ trigger: null, steps: { b: 1 } })).toBe(true);
  });

  it('uses pins alone before any run', () => {
    const data = sampleData(null, { trigger: null, steps: { a: { ok: true } } });
    expect(data).toEqual({ request: null, outputs: { a: { ok: true } } });
  });
});
