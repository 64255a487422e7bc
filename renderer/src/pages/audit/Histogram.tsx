import { useRef, useState, type PointerEvent } from 'react';
import type { AuditHistogram } from '../../../../shared/model/audit.js';

const H = 96;
const PAD_B = 16;

function fmtBucket(ms: number): string {
  if (ms >= 86_400_000) return `${Math.round(ms / 86_400_000)} d`;
  if (ms >= 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * Event counts over time as SVG bars (success / denied / error stacked). Drag across it to zoom to
 * that range (the brush selects whole buckets); Escape cancels a drag.
 */
export function Histogram({
  data,
  onZoom,
}: {
  data: AuditHistogram | undefined;
  onZoom: (since: string, until: string) => void;
}) {
  const svgRef = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ a: number; b: number } | null>(null);
  const buckets = data?.buckets ?? [];
  const n = Math.max(1, buckets.length);
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const W = 1000;
  const bw = W / n;

  const indexAt = (clientX: number) => {
    const r = svgRef.current?.getBoundingClientRect();
    if (!r || r.width === 0) return 0;
    return Math.max(0, Math.min(n - 1, Math.floor(((clientX - r.left) / r.width) * n)));
  };
  const onDown = (e: PointerEvent<SVGSVGElement>) => {
    if (!buckets.length) return;
    (e.target as Element).setPointerCapture?.(e.pointerId);
    const i = indexAt(e.clientX);
    setDrag({ a: i, b: i });
  };
  const onMove = (e: PointerEvent<SVGSVGElement>) => {
    if (drag) setDrag({ a: drag.a, b: indexAt(e.clientX) });
  };
  const onUp = () => {
    if (!drag || !data) return setDrag(null);
    const lo = Math.min(drag.a, drag.b);
    const hi = Math.max(drag.a, drag.b);
    setDrag(null);
    const start = buckets[lo]?.start;
    const endStart = buckets[hi]?.start;
    if (!start || !endStart) return;
    // One bucket wide zooms too: the next level picks finer buckets.
    onZoom(start, new Date(Date.parse(endStart) + data.bucketMs).toISOString());
  };

  const sel = drag ? { x: Math.min(drag.a, drag.b) * bw, w: (Math.abs(drag.a - drag.b) + 1) * bw } : null;
  const first = buckets[0]?.start;
  const last = data?.to;
  return (
    <div
      className="audit-hist"
      data-testid="audit-histogram"
      data-buckets={buckets.length}
      data-bucket-ms={data?.bucketMs ?? 0}
    >
      <svg
        ref={svgRef}
        viewBox={`0 0 ${W} ${H + PAD_B}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Events over time${data ? `, ${data.total} events in buckets of ${fmtBucket(data.bucketMs)}` : ''}. Drag to zoom.`}
        onPointerDown={onDown}
        onPointerMove={onMove}
        onPointerUp={onUp}
        onKeyDown={(e) => e.key === 'Escape' && setDrag(null)}
      >
        {buckets.map((b, i) => {
          const hTotal = (b.count / max) * H;
          const hDen = (b.denied / max) * H;
          const hErr = (b.error / max) * H;
          const x = i * bw + 0.5;
          const w = Math.max(0.5, bw - 1);
          return (
            <g key={b.start}>
              <title>{`${new Date(b.start).toLocaleString()}: ${b.count} (denied ${b.denied}, error ${b.error})`}</title>
              <rect className="hb-ok" x={x} y={H - hTotal} width={w} height={hTotal - hDen - hErr} />
              <rect className="hb-denied" x={x} y={H - hDen - hErr} width={w} height={hDen} />
              <rect className="hb-error" x={x} y={H - hErr} width={w} height={hErr} />
            </g>
          );
        })}
        {sel && <rect className="hb-brush" x={sel.x} y={0} width={sel.w} height={H} />}
        <line className="hb-axis" x1={0} x2={W} y1={H + 0.5} y2={H + 0.5} />
      </svg>
      <div className="audit-hist-legend">
        <span>{first ? new Date(first).toLocaleString() : '—'}</span>
        <span className="muted">
          {data?.bucketMs ? `${fmtBucket(data.bucketMs)} buckets · ` : ''}
          <span className="dot dot-denied" /> denied <span className="dot dot-error" /> error
        </span>
        <span>{last ? new Date(last).toLocaleString() : '—'}</span>
      </div>
    </div>
  );
}
