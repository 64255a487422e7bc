import { create } from 'zustand';
import { BulkFixDialog, type BulkFixSubject } from './config-change/BulkFixDialog.js';
import { CopyDialog } from './config-change/CopyDialog.js';
import { FixDialog, type FixSubject } from './config-change/FixDialog.js';
import { QuarantineDialog, type ServerSubject } from './config-change/QuarantineDialog.js';

export { Busy, trapTab } from './config-change/dialog-kit.js';
export type { BulkFixSubject, FixSubject, ServerSubject };

/** Which config change the admin is previewing: every kind goes through the same ChangeFlow. */
export type ChangeSubject =
  | ({ kind: 'fix' } & FixSubject)
  | ({ kind: 'fix-rule' } & BulkFixSubject)
  | ({ kind: 'quarantine' } & ServerSubject)
  | ({ kind: 'copy' } & ServerSubject);

interface DialogState {
  subject: ChangeSubject | null;
  open(subject: ChangeSubject): void;
  /** Fix one finding (kept for the Findings page's detail panel). */
  openFix(subject: FixSubject): void;
  close(): void;
}

/**
 * The dialog lives above the pages (ConfigChangeHost in the app shell): a rescan after the write
 * removes the finding (or the quarantined server), and with it the panel that opened the dialog;
 * the result and its Undo must outlive that.
 */
export const useConfigChangeDialog = create<DialogState>((set) => ({
  subject: null,
  open: (subject) => set({ subject }),
  openFix: (subject) => set({ subject: { kind: 'fix', ...subject } }),
  close: () => set({ subject: null }),
}));

function keyOf(s: ChangeSubject): string {
  if (s.kind === 'fix') return `fix:${s.findingId}`;
  if (s.kind === 'fix-rule') return `fix-rule:${s.ruleId}:${s.findingIds?.join(',') ?? '*'}`;
  return `${s.kind}:${s.serverId}`;
}

export function ConfigChangeHost() {
  const subject = useConfigChangeDialog((s) => s.subject);
  const close = useConfigChangeDialog((s) => s.close);
  if (!subject) return null;
  const key = keyOf(subject);
  switch (subject.kind) {
    case 'fix':
      return <FixDialog key={key} subject={subject} onClose={close} />;
    case 'fix-rule':
      return <BulkFixDialog key={key} subject={subject} onClose={close} />;
    case 'quarantine':
      return <QuarantineDialog key={key} subject={subject} onClose={close} />;
    case 'copy':
      return <CopyDialog key={key} subject={subject} onClose={close} />;
  }
}
