/** Time zone of every time on the Audit page: the browser's (local) or UTC. */
export type TimeZoneMode = 'local' | 'utc';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}

function parts(t: number, tz: TimeZoneMode): Parts {
  const x = new Date(t);
  return tz === 'utc'
    ? {
        y: x.getUTCFullYear(),
        mo: x.getUTCMonth() + 1,
        d: x.getUTCDate(),
        h: x.getUTCHours(),
        mi: x.getUTCMinutes(),
        s: x.getUTCSeconds(),
        ms: x.getUTCMilliseconds(),
      }
    : {
        y: x.getFullYear(),
        mo: x.getMonth() + 1,
        d: x.getDate(),
        h: x.getHours(),
        mi: x.getMinutes(),
        s: x.getSeconds(),
        ms: x.getMilliseconds(),
      };
}

/** `2026-11-20 10:00:00.123` in the zone (ms only when asked: the list shows them, axes do not). */
export function formatTime(iso: string | number, tz: TimeZoneMode, opts: { ms?: boolean; seconds?: boolean } = {}) {
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  if (!Number.isFinite(t)) return String(iso);
  const p = parts(t, tz);
  const date = `${p.y}-${pad(p.mo)}-${pad(p.d)}`;
  const clock = `${pad(p.h)}:${pad(p.mi)}${opts.seconds === false ? '' : `:${pad(p.s)}`}`;
  return `${date} ${clock}${opts.ms ? `.${pad(p.ms, 3)}` : ''}`;
}

/** A short axis label: the time of day, or the date when the step is a day or more. */
export function formatTick(t: number, tz: TimeZoneMode, stepMs: number): string {
  const p = parts(t, tz);
  if (stepMs >= 86_400_000) return `${p.y}-${pad(p.mo)}-${pad(p.d)}`;
  if (stepMs >= 60_000) return `${pad(p.mo)}-${pad(p.d)} ${pad(p.h)}:${pad(p.mi)}`;
  return `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
}

/** The zone's label, e.g. `UTC` or `Local (UTC+01:00)`. */
export function zoneLabel(tz: TimeZoneMode, at = Date.now()): string {
  if (tz === 'utc') return 'UTC';
  const off = -new Date(at).getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return `Local (UTC${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)})`;
}

/** `YYYY-MM-DDTHH:MM` for a datetime-local input, in the zone. */
export function toInputValue(iso: string | undefined, tz: TimeZoneMode, seconds = false): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const p = parts(t, tz);
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}${seconds ? `:${pad(p.s)}` : ''}`;
}

/** A datetime-local value (`YYYY-MM-DDTHH:MM[:SS]`) read in the zone → ISO; null when not a time. */
export function fromInputValue(value: string, tz: TimeZoneMode): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const t = tz === 'utc' ? Date.UTC(y, mo - 1, d, h, mi, s) : new Date(y, mo - 1, d, h, mi, s).getTime();
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/** Quick ranges: a window ending now, or everything. */
export const QUICK_RANGES = [
  ['15m', '15 m', 15 * 60_000],
  ['1h', '1 h', 3_600_000],
  ['6h', '6 h', 6 * 3_600_000],
  ['24h', '24 h', 86_400_000],
  ['7d', '7 d', 7 * 86_400_000],
  ['30d', '30 d', 30 * 86_400_000],
  ['all', 'All', 0],
] as const;
export type QuickRange = (typeof QUICK_RANGES)[number][0];

export function quickRangeMs(r: string): number | null {
  const q = QUICK_RANGES.find(([k]) => k === r);
  return q ? q[2] : null;
}

/** `1 h`, `5 min`, `30 s`: a bucket or span length. */
export function formatSpan(ms: number): string {
  if (ms >= 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Math.round(ms / 1000)} s`;
  return `${ms} ms`;
}
