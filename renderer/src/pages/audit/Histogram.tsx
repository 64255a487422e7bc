import { useRef, useState, type PointerEvent } from 'react';
import type { AuditHistogram } from '../../../../shared/model/audit.js';
import { formatSpan, formatTick, formatTime, zoneLabel, type TimeZoneMode } from './time.js';

const W = 1000;
const H = 100;

/** 1-2-5 steps: about `n` ticks from 0 to at least `max`. */
export function niceTicks(max: number, n = 4): number[] {
  if (max <= 0) return [0];
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const step1 = Math.max(1, step);
  const top = Math.ceil(max / step1) * step1;
  const out: number[] = [];
  for (let v = 0; v <= top; v += step1) out.push(v);
  return out;
}

/**
 * Event counts over time: stacked bars per outcome, a y-axis with ticks, time labels in the page's
 * zone, a legend of every outcome with its total, and a tooltip per bucket (span and counts).
 * Click a bucket or drag across several to zoom to that range; Escape cancels a drag.
 */
export function Histogram({
  data,
  tz,
  onZoom,
}: {
  data: AuditHistogram | undefined;
  tz: TimeZoneMode;
  onZoom: (since: string, until: string) => void;
}) {
  const plotRef = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<{ a: number; b: number } | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const buckets = data?.buckets ?? [];
  const n = Math.max(1, buckets.length);
  const ticks = niceTicks(Math.max(0, ...buckets.map((b) => b.count)));
  const top = Math.max(1, ticks[ticks.length - 1] ?? 1);
  const bw = W / n;
  const bucketMs = data?.bucketMs ?? 0;
  const sums = buckets.reduce(
    (a, b) => ({ denied: a.denied + b.denied, error: a.error + b.error, all: a.all + b.count }),
    { denied: 0, error: 0, all: 0 },
  );

  const indexAt = (clientX: number) => {
    const r = plotRef.current?.getBoundingClientRect();
    if (!r || r.width === 0) return 0;
    return Math.max(0, Math.min(n - 1, Math.floor(((clientX - r.left) / r.width) * n)));
  };
  const onDown = (e: PointerEvent<HTMLDivElement>) => {
    if (!buckets.length || e.button !== 0) return;
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    const i = indexAt(e.clientX);
    setDrag({ a: i, b: i });
  };
  const onMove = (e: PointerEvent<HTMLDivElement>) => {
    const i = indexAt(e.clientX);
    setHover(buckets.length ? i : null);
    if (drag) setDrag({ a: drag.a, b: i });
  };
  const onUp = () => {
    if (!drag || !data) return setDrag(null);
    const lo = Math.min(drag.a, drag.b);
    const hi = Math.max(drag.a, drag.b);
    setDrag(null);
    const start = buckets[lo]?.start;
    const endStart = buckets[hi]?.start;
    if (!start || !endStart) return;
    // One bucket zooms too: the next level picks finer buckets.
    onZoom(start, new Date(Date.parse(endStart) + data.bucketMs).toISOString());
  };

  const sel = drag ? { x: Math.min(drag.a, drag.b) * bw, w: (Math.abs(drag.a - drag.b) + 1) * bw } : null;
  // About six time labels, on bucket starts.
  const every = Math.max(1, Math.ceil(n / 6));
  const xTicks = buckets.map((b, i) => ({ i, t: Date.parse(b.start) })).filter(({ i }) => i % every === 0);
  const hb = hover !== null ? buckets[hover] : undefined;
  return (
    <div
      className="audit-hist"
      data-testid="audit-histogram"
      data-buckets={buckets.length}
      data-bucket-ms={bucketMs}
      data-from={data?.from ?? ''}
      data-to={data?.to ?? ''}
    >
      <div className="audit-hist-legend" data-testid="audit-hist-legend">
        <span className="audit-hist-title">
          Events per {bucketMs ? formatSpan(bucketMs) : '—'} · {zoneLabel(tz)}
        </span>
        <span className="spacer" />
        <span data-outcome="success">
          <span className="dot dot-success" aria-hidden="true" /> success{' '}
          {(sums.all - sums.denied - sums.error).toLocaleString()}
        </span>
        <span data-outcome="denied">
          <span className="dot dot-denied" aria-hidden="true" /> denied {sums.denied.toLocaleString()}
        </span>
        <span data-outcome="error">
          <span className="dot dot-error" aria-hidden="true" /> error {sums.error.toLocaleString()}
        </span>
      </div>
      <div className="audit-hist-chart">
        <div className="audit-hist-y" aria-hidden="true" data-testid="audit-hist-y">
          {ticks.map((t) => (
            <span key={t} style={{ bottom: `${(t / top) * 100}%` }}>
              {t.toLocaleString()}
            </span>
          ))}
        </div>
        <div
          className="audit-hist-plot"
          ref={plotRef}
          role="img"
          aria-label={`Events over time${data ? `: ${data.total} events in buckets of ${formatSpan(bucketMs)}` : ''}. Click a bar or drag across bars to zoom.`}
          data-testid="audit-hist-plot"
          onPointerDown={onDown}
          onPointerMove={onMove}
          onPointerUp={onUp}
          onPointerLeave={() => setHover(null)}
          onKeyDown={(e) => e.key === 'Escape' && setDrag(null)}
        >
          <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" aria-hidden="true">
            {ticks.map((t) => (
              <line key={t} className="hb-grid" x1={0} x2={W} y1={H - (t / top) * H} y2={H - (t / top) * H} />
            ))}
            {buckets.map((b, i) => {
              const hTotal = (b.count / top) * H;
              const hDen = (b.denied / top) * H;
              const hErr = (b.error / top) * H;
              const x = i * bw + bw * 0.08;
              const w = Math.max(0.5, bw * 0.84);
              return (
                <g key={b.start} className={i === hover ? 'hb-hover' : undefined}>
                  <rect className="hb-ok" x={x} y={H - hTotal} width={w} height={Math.max(0, hTotal - hDen - hErr)} />
                  <rect className="hb-denied" x={x} y={H - hDen - hErr} width={w} height={hDen} />
                  <rect className="hb-error" x={x} y={H - hErr} width={w} height={hErr} />
                </g>
              );
            })}
            {sel && <rect className="hb-brush" x={sel.x} y={0} width={sel.w} height={H} />}
          </svg>
          {hb && !drag && hover !== null && (
            <div
              className="audit-hist-tip"
              role="tooltip"
              data-testid="audit-hist-tip"
              style={hover < n / 2 ? { left: `${((hover + 1) / n) * 100}%` } : { right: `${((n - hover) / n) * 100}%` }}
            >
              <div className="audit-hist-tip-time">
                {formatTime(hb.start, tz, { seconds: bucketMs < 60_000 })} –{' '}
                {formatTime(Date.parse(hb.start) + bucketMs, tz, { seconds: bucketMs < 60_000 })}
              </div>
              <div>
                <strong>{hb.count.toLocaleString()}</strong> events
              </div>
              <div>
                <span className="dot dot-success" /> success {(hb.count - hb.denied - hb.error).toLocaleString()}
              </div>
              <div>
                <span className="dot dot-denied" /> denied {hb.denied.toLocaleString()}
              </div>
              <div>
                <span className="dot dot-error" /> error {hb.error.toLocaleString()}
              </div>
            </div>
          )}
        </div>
      </div>
      <div className="audit-hist-x" aria-hidden="true" data-testid="audit-hist-x">
        {xTicks.map(({ i, t }) => (
          <span key={i} style={{ left: `${(i / n) * 100}%` }}>
            {formatTick(t, tz, Math.max(bucketMs * every, bucketMs))}
          </span>
        ))}
      </div>
    </div>
  );
}
