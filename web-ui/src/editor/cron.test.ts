import { describe, expect, it } from 'vitest';
import { nextRuns } from './cron';

const from = new Date('2025-01-01T10:17:30Z');
const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

describe('nextRuns', () => {
  it('steps minutes', () => {
    expect(iso(nextRuns('*/15 * * * *', 3, from))).toEqual(['2025-01-01T10:30:00.000Z', '2025-01-01T10:45:00.000Z', '2025-01-01T11:00:00.000Z']);
  });
  it('handles weekdays and names', () => {
    // 2025-01-01 is a Wednesday
    expect(iso(nextRuns('0 9 * * mon-fri', 3, from))).toEqual(['2025-01-02T09:00:00.000Z', '2025-01-03T09:00:00.000Z', '2025-01-06T09:00:00.000Z']);
    expect(iso(nextRuns('0 0 1 feb *', 1, from))).toEqual(['2025-02-01T00:00:00.000Z']);
  });
  it('reads six fields with seconds first', () => {
    expect(iso(nextRuns('*/20 * * * * *', 2, from))).toEqual(['2025-01-01T10:17:40.000Z', '2025-01-01T10:18:00.000Z']);
  });
  it('rejects bad expressions', () => {
    expect(() => nextRuns('61 * * * *')).toThrow();
    expect(() => nextRuns('* * *')).toThrow(/5 fields/);
  });
});
