import { describe, expect, it } from 'vitest';
import { kindLabel, processLabel } from './api';

describe('process labels', () => {
  it('shorten an id to its kind and the end of its uuid', () => {
    expect(processLabel('worker-01a23e8a-fb5e-7531-985f-802e658a8ea0')).toBe('worker 8ea0');
    expect(processLabel('api-01a23e8a-fb5e-7531-985f-802e658a8ea1')).toBe('api 8ea1');
    expect(processLabel('local')).toBe('local');
  });
  it('say what each kind runs', () => {
    expect(kindLabel('serve')).toBe('server and workers');
    expect(kindLabel('api')).toBe('server, no workers');
    expect(kindLabel('worker')).toBe('worker');
  });
});
