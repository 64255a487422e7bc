import { useEffect } from 'react';
import { navigate } from './router.js';

/** `g` then a letter jumps to a page (like GitHub): g i inventory, g f findings, … */
const GO_KEYS: Record<string, string> = {
  i: 'inventory',
  f: 'findings',
  t: 'tenants',
  a: 'audit',
  p: 'policy',
  w: 'gateways',
  s: 'settings',
};

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function useShortcuts(): void {
  useEffect(() => {
    let pendingG = 0;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (e.key === 'g') {
        pendingG = Date.now();
        return;
      }
      const page = GO_KEYS[e.key];
      if (page && Date.now() - pendingG < 1000) {
        e.preventDefault();
        navigate(page);
        document.getElementById('main')?.focus();
      }
      pendingG = 0;
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
