/** RFC 6901 JSON Pointer helpers (TOML and YAML documents use the same notation). */
export function escapePointer(segment: string): string {
  if (!segment.includes('~') && !segment.includes('/')) return segment;
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function childPointer(pointer: string, segment: string | number): string {
  return `${pointer}/${escapePointer(String(segment))}`;
}
