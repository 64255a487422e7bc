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
        {copied ? '✓' : '⧉'}
      </button>
    </span>
  );
}
