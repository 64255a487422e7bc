import { autocompletion, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { yaml } from '@codemirror/lang-yaml';
import { bracketMatching, HighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  hoverTooltip,
  keymap,
  lineNumbers,
  placeholder,
} from '@codemirror/view';
import { tags as t } from '@lezer/highlight';
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import type { PolicyDiagnostic } from '../../../../shared/model/policy.js';
import { schemaCompletion, schemaHover, type SchemaNode } from './schema-assist.js';

export interface PolicyEditorHandle {
  /** Replaces the whole text (pull, open file, load version); not an undo step of the user's. */
  setText(text: string): void;
  getText(): string;
  /** Moves the cursor to a diagnostic (offsets when known, else line/column) and focuses. */
  reveal(d: Pick<PolicyDiagnostic, 'from' | 'to' | 'line' | 'column'>): void;
  focus(): void;
}

export interface PolicyEditorProps {
  initialText: string;
  onChange(text: string): void;
  diagnostics: readonly PolicyDiagnostic[];
  schema: SchemaNode | null;
}

/**
 * The policy document editor: CodeMirror 6 with YAML, schema completion (Ctrl-Space) and hover,
 * and the service's diagnostics drawn inline. Colours come from the app's CSS variables, so one
 * theme follows dark and light.
 */
export const PolicyEditor = forwardRef<PolicyEditorHandle, PolicyEditorProps>(function PolicyEditor(
  { initialText, onChange, diagnostics, schema },
  ref,
) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const schemaRef = useRef<SchemaNode | null>(schema);
  const onChangeRef = useRef(onChange);
  const settingText = useRef(false);
  useEffect(() => {
    schemaRef.current = schema;
    onChangeRef.current = onChange;
  });

  useEffect(() => {
    if (!host.current) return;
    const getSchema = () => schemaRef.current;
    // CodeMirror injects its styles with a <style> element, which the app's CSP (style-src 'self')
    // refuses; inside a shadow root it uses a constructed stylesheet instead, which CSP allows.
    const shadow = host.current.shadowRoot ?? host.current.attachShadow({ mode: 'open' });
    const parent = document.createElement('div');
    parent.style.height = '100%';
    shadow.replaceChildren(parent);
    const v = new EditorView({
      root: shadow,
      parent,
      state: EditorState.create({
        doc: initialText,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightActiveLine(),
          drawSelection(),
          history(),
          indentOnInput(),
          bracketMatching(),
          yaml(),
          syntaxHighlighting(highlight),
          autocompletion({ override: [schemaCompletion(getSchema)], activateOnTyping: true }),
          hoverTooltip(schemaHover(getSchema), { hoverTime: 350 }),
          lintGutter(),
          placeholder('Pull a policy or open a file'),
          // Mod-Enter is the page's "Plan" (it would insert a blank line otherwise).
          keymap.of([...completionKeymap, ...defaultKeymap.filter((k) => k.key !== 'Mod-Enter'), ...historyKeymap]),
          EditorState.tabSize.of(2),
          EditorView.contentAttributes.of({
            'aria-label': 'Policy document (YAML)',
            'aria-describedby': 'pol-editor-help',
            'data-testid': 'policy-editor-content',
          }),
          editorTheme,
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !settingText.current) onChangeRef.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The editor is created once; text changes go through the handle.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    v.dispatch(setDiagnostics(v.state, toCm(diagnostics, v.state.doc.length, v)));
  }, [diagnostics]);

  useImperativeHandle(ref, () => ({
    setText(text: string) {
      const v = view.current;
      if (!v) return;
      settingText.current = true;
      try {
        v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text }, selection: { anchor: 0 } });
      } finally {
        settingText.current = false;
      }
      onChangeRef.current(text);
    },
    getText: () => view.current?.state.doc.toString() ?? '',
    reveal(d) {
      const v = view.current;
      if (!v) return;
      // The cursor goes to the start (a selection would paint over the squiggle's colour).
      const pos = offsetOf(d, v);
      v.dispatch({
        selection: { anchor: pos },
        effects: EditorView.scrollIntoView(pos, { y: 'center' }),
      });
      v.focus();
    },
    focus: () => view.current?.focus(),
  }));

  return <div className="pol-editor" ref={host} data-testid="policy-editor" />;
});

function clamp(n: number, v: EditorView): number {
  return Math.max(0, Math.min(n, v.state.doc.length));
}

function offsetOf(d: Pick<PolicyDiagnostic, 'from' | 'line' | 'column'>, v: EditorView): number {
  if (d.from !== undefined) return clamp(d.from, v);
  if (d.line !== undefined && d.line <= v.state.doc.lines) {
    const line = v.state.doc.line(d.line);
    return Math.min(line.to, line.from + Math.max(0, (d.column ?? 1) - 1));
  }
  return 0;
}

function toCm(diags: readonly PolicyDiagnostic[], len: number, v: EditorView): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of diags) {
    if (d.from === undefined && d.line === undefined) continue;
    const from = Math.min(offsetOf(d, v), len);
    let to = d.to !== undefined ? Math.min(Math.max(d.to, from), len) : from;
    if (to === from) to = Math.min(v.state.doc.lineAt(from).to, len);
    out.push({
      from,
      to,
      severity: d.severity,
      message: d.hint ? `${d.message}\n${d.hint}` : d.message,
      source: d.code,
    });
  }
  return out;
}

const highlight = HighlightStyle.define([
  { tag: [t.propertyName, t.definition(t.propertyName)], color: 'var(--accent)' },
  { tag: [t.string, t.special(t.string), t.content], color: 'var(--text)' },
  { tag: [t.number, t.bool, t.null, t.atom, t.keyword], color: 'var(--warn)' },
  { tag: [t.comment, t.lineComment], color: 'var(--text-faint)', fontStyle: 'italic' },
  { tag: [t.punctuation, t.separator, t.meta, t.processingInstruction], color: 'var(--text-muted)' },
]);

const editorTheme = EditorView.theme({
  '&': {
    height: '100%',
    backgroundColor: 'var(--bg-sunken)',
    color: 'var(--text)',
    fontSize: '12.5px',
  },
  '&.cm-focused': { outline: '2px solid var(--focus)', outlineOffset: '-2px' },
  '.cm-scroller': { fontFamily: 'var(--font-mono)', lineHeight: '1.5' },
  '.cm-content': { caretColor: 'var(--text-strong)' },
  // CodeMirror's default placeholder grey (#888) is below 4.5:1 on the light background.
  '.cm-placeholder': { color: 'var(--text-muted)' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--text-strong)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'var(--bg-selected) !important',
  },
  '.cm-activeLine': { backgroundColor: 'var(--bg-hover)' },
  '.cm-gutters': {
    backgroundColor: 'var(--bg-raised)',
    color: 'var(--text-faint)',
    borderRight: '1px solid var(--border)',
  },
  '.cm-activeLineGutter': { backgroundColor: 'var(--bg-hover)', color: 'var(--text)' },
  '.cm-tooltip': {
    backgroundColor: 'var(--bg-raised)',
    color: 'var(--text)',
    border: '1px solid var(--border-strong)',
    borderRadius: 'var(--radius)',
    boxShadow: 'var(--shadow)',
  },
  '.cm-tooltip-autocomplete > ul > li[aria-selected]': {
    backgroundColor: 'var(--accent-bg)',
    color: 'var(--text-strong)',
  },
  '.cm-completionDetail': { color: 'var(--text-muted)', marginLeft: '8px' },
  '.cm-diagnostic-error': { borderLeftColor: 'var(--danger)' },
  '.cm-diagnostic-warning': { borderLeftColor: 'var(--warn)' },
  '.cm-diagnostic-info': { borderLeftColor: 'var(--accent)' },
  // Squiggles as text decoration: the default ones are data: images, which the CSP refuses.
  '.cm-lintRange-error': {
    backgroundImage: 'none',
    textDecorationLine: 'underline',
    textDecorationStyle: 'wavy',
    textDecorationColor: 'var(--danger)',
    textUnderlineOffset: '3px',
  },
  '.cm-lintRange-warning': {
    backgroundImage: 'none',
    textDecorationLine: 'underline',
    textDecorationStyle: 'wavy',
    textDecorationColor: 'var(--warn)',
    textUnderlineOffset: '3px',
  },
  '.pol-hover': {
    padding: '6px 8px',
    maxWidth: '420px',
    fontFamily: 'var(--font)',
    fontSize: 'var(--fs-small)',
    display: 'flex',
    flexDirection: 'column',
    gap: '3px',
  },
  '.pol-hover-head': { fontFamily: 'var(--font-mono)', color: 'var(--text-strong)' },
  '.pol-hover-faint': { color: 'var(--text-faint)', fontFamily: 'var(--font-mono)', fontSize: '11px' },
  '.cm-lintRange-info': {
    backgroundImage: 'none',
    textDecorationLine: 'underline',
    textDecorationStyle: 'dotted',
    textDecorationColor: 'var(--accent)',
    textUnderlineOffset: '3px',
  },
});
