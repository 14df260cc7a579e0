// A confirmation dialog (native <dialog>: modal, Escape cancels, focus returns to the opener),
// optionally with one checkbox for something more to do (off unless `checked`).
import { byId } from './dom';

export interface ConfirmOption { label: string; hint?: string; checked?: boolean }
export interface Confirmed { ok: boolean; option: boolean }

export function confirmDialog(title: string, text: string, okLabel: string, option?: ConfirmOption): Promise<Confirmed> {
  const dialog = byId<HTMLDialogElement>('confirm-dialog');
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  byId('confirm-ok').textContent = okLabel;
  const box = byId('confirm-option');
  const input = byId<HTMLInputElement>('confirm-option-input');
  box.hidden = !option;
  input.checked = !!option?.checked;
  byId('confirm-option-label').textContent = option?.label ?? '';
  const hint = byId('confirm-option-hint');
  hint.textContent = option?.hint ?? '';
  hint.hidden = !option?.hint;
  const opener = document.activeElement as HTMLElement | null;
  return new Promise((resolve) => {
    dialog.returnValue = 'cancel';
    dialog.addEventListener('close', () => {
      opener?.focus();
      const ok = dialog.returnValue === 'ok';
      resolve({ ok, option: ok && !!option && input.checked });
    }, { once: true });
    dialog.showModal();
    byId('confirm-cancel').focus();  // the safe choice has focus first
  });
}
