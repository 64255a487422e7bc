import { useState } from 'react';
import { copyText } from '../../lib/clipboard.js';

/** Ids longer than this are shown shortened (head…tail); the full value is in the title and copied. */
const SHORT = 12;

export function shortId(value: string): string {
  return value.length <= SHORT ? value : `${value.slice(0, 8)}…${value.slice(-3)}`;
}

/** A long id shortened, with a copy button; the full value in the title (and copied). */
export function CopyId({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="audit-id" title={value}>
      <span className="mono" data-testid="audit-id-short">
        {shortId(value)}
      </span>
      <button
        type="button"
        className="audit-copy"
        aria-label={`Copy ${label} ${value}`}
        title={`Copy ${label}`}
        data-testid="audit-copy"
        onClick={() => {
          void copyText(value).then((ok) => {
            setCopied(ok);
            if (ok) setTimeout(() => setCopied(false), 1200);
          });
        }}
      >
        {copied ? (
          '✓'
        ) : (
          <svg width="11" height="11" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
            <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
            <path
              d="M11 3.5V3a1 1 0 0 0-1-1H3a1 1 0 0 0-1 1v7a1 1 0 0 0 1 1h.5"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.5"
            />
          </svg>
        )}
      </button>
    </span>
  );
}
