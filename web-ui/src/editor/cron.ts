// Next run times of a cron expression, for the schedule trigger's preview. Five fields (minute
// hour day-of-month month day-of-week) or six with seconds first; `*`, lists, ranges, steps and
// month/day names. Computed in UTC (the preview says so). Pure.

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Spec {
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  anyDay: boolean;
  anyWeekday: boolean;
}

function parseField(text: string, min: number, max: number, names?: string[]): Set<number> {
  const out = new Set<number>();
  const value = (v: string): number => {
    const i = names ? names.indexOf(v.toLowerCase()) : -1;
    const n = i >= 0 ? i + (names === MONTHS ? 1 : 0) : Number(v);
    if (!Number.isInteger(n) || n < min || n > max + (names === DAYS ? 1 : 0)) throw new Error(`“${v}” is out of range ${min}–${max}`);
    return names === DAYS && n === 7 ? 0 : n;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step “${stepText}”`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = min;
      hi = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      lo = value(a);
      hi = value(b);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    if (lo > hi) throw new Error(`bad range “${range}”`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

export function parseCron(expr: string): Spec {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) throw new Error('A cron expression has 5 fields (or 6 with seconds first).');
  const f = fields.length === 6 ? fields : ['0', ...fields];
  return {
    seconds: parseField(f[0], 0, 59),
    minutes: parseField(f[1], 0, 59),
    hours: parseField(f[2], 0, 23),
    days: parseField(f[3], 1, 31),
    months: parseField(f[4], 1, 12, MONTHS),
    weekdays: parseField(f[5], 0, 6, DAYS),
    anyDay: f[3] === '*' || f[3] === '?',
    anyWeekday: f[5] === '*' || f[5] === '?',
  };
}

function dayMatches(s: Spec, d: Date): boolean {
  const dom = s.days.has(d.getUTCDate());
  const dow = s.weekdays.has(d.getUTCDay());
  // Like cron: when both are restricted, either matches.
  if (!s.anyDay && !s.anyWeekday) return dom || dow;
  return dom && dow;
}

/** The next `count` run times strictly after `from` (UTC). */
export function nextRuns(expr: string, count = 5, from = new Date()): Date[] {
  const s = parseCron(expr);
  const out: Date[] = [];
  const t = new Date(Math.floor(from.getTime() / 1000) * 1000 + 1000);
  const limit = from.getTime() + 5 * 366 * 86_400_000;
  while (out.length < count && t.getTime() < limit) {
    if (!s.months.has(t.getUTCMonth() + 1) || !dayMatches(s, t)) {
      t.setUTCHours(0, 0, 0, 0);
      t.setUTCDate(t.getUTCDate() + 1);
      continue;
    }
    if (!s.hours.has(t.getUTCHours())) {
      t.setUTCMinutes(0, 0, 0);
      t.setUTCHours(t.getUTCHours() + 1);
      continue;
    }
    if (!s.minutes.has(t.getUTCMinutes())) {
      t.setUTCSeconds(0, 0);
      t.setUTCMinutes(t.getUTCMinutes() + 1);
      continue;
    }
    if (!s.seconds.has(t.getUTCSeconds())) {
      t.setUTCSeconds(t.getUTCSeconds() + 1);
      continue;
    }
    out.push(new Date(t));
    t.setUTCSeconds(t.getUTCSeconds() + 1);
  }
  return out;
}
