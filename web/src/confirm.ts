// A confirmation dialog (native <dialog>: modal, Escape cancels, focus returns to the opener).
import { byId } from './dom';

export function confirmDialog(title: string, text: string, okLabel: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm-dialog');
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  byId('confirm-ok').textContent = okLabel;
  const opener = document.activeElement as HTMLElement | null;
  return new Promise((resolve) => {
    dialog.returnValue = 'cancel';
    dialog.addEventListener('close', () => {
      opener?.focus();
      resolve(dialog.returnValue === 'ok');
    }, { once: true });
    dialog.showModal();
    byId('confirm-cancel').focus();  // the safe choice has focus first
  });
}
