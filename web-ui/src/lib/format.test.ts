import { describe, expect, it } from 'vitest';
import { duration, elapsedMs } from './format';

describe('format', () => {
  it('measures an execution from its timestamps', () => {
    expect(elapsedMs('2026-11-25T18:10:16.466993Z', '2026-11-25T18:10:16.480193Z')).toBe(14);
    expect(elapsedMs('2026-11-25T18:10:16Z', null)).toBeNull();
    expect(elapsedMs(null, '2026-11-25T18:10:16Z')).toBeNull();
    expect(duration(elapsedMs('2026-11-25T18:10:16Z', '2026-11-25T18:10:18.5Z'))).toBe('2.50 s');
  });
});
