// Connecting with a code (the device grant, RFC 8628) from the vault: the gateway asks the
// provider for a user code, this dialog shows it with the verification link, and polls the
// gateway until the user approves or refuses on any device. The code and links are not secret;
// the device code stays in the gateway. Offered for a provider with a device authorization
// endpoint: the gateway that serves this page has the routes.
import { api, ApiError, type ConnectOptions, type Connection, type Provider } from './api';
import { byId, copyText, errorText, sentence } from './dom';
import { describeCode } from './popup';

export type DeviceOutcome = { ok: true; connection: Connection } | { ok: false; reason: string } | { ok: false; cancelled: true };

/// The core's sentence (what the provider answered, or that the code expired), else what the code means.
function describe(e: unknown): string {
  return e instanceof ApiError ? e.message || describeCode(e.code) : errorText(e);
}

function setStatus(text: string, state: 'wait' | 'error'): void {
  const el = byId('device-status');
  el.textContent = text;
  el.dataset.state = state;
}

const sleep = (ms: number) => new Promise((r) => window.setTimeout(r, ms));

/// Shows the code for `provider` and resolves when the connection is made, refused or cancelled.
export async function connectWithCode(provider: Provider, opts: ConnectOptions = {}): Promise<DeviceOutcome> {
  const start = await api.deviceStart(provider.key, opts);
  const dialog = byId<HTMLDialogElement>('device-dialog');
  byId('device-title').textContent = `Connect ${provider.display_name} with a code`;
  const link = byId<HTMLAnchorElement>('device-link');
  link.href = start.verification_uri;
  link.textContent = start.verification_uri;
  byId('device-code').textContent = start.user_code;
  const complete = byId<HTMLAnchorElement>('device-complete');
  byId('device-complete-line').hidden = !start.verification_uri_complete;
  if (start.verification_uri_complete) complete.href = start.verification_uri_complete;
  byId('device-copy').onclick = () => void copyText(byId('device-code'), 'Code');
  const close = byId<HTMLButtonElement>('device-close');
  close.textContent = 'Cancel';
  setStatus('Waiting for approval…', 'wait');
  let cancelled = false;
  dialog.addEventListener('close', () => { cancelled = true; }, { once: true });
  dialog.showModal();
  close.focus();

  // The gateway (through the core) paces the provider and says when to ask again (longer after
  // a slow_down); this loop waits that long while the answer is "pending", and stops when the
  // dialog is closed. Expiry is the core's to tell (state_expired).
  while (!cancelled) {
    try {
      const r = await api.devicePoll(provider.key, start.handle);
      if (cancelled) break;
      if (r.done) {
        dialog.close();
        return { ok: true, connection: r.connection };
      }
      await sleep(r.retry_after_ms);
    } catch (e) {
      if (cancelled) break;
      const reason = describe(e);
      setStatus(`Not connected: ${sentence(reason)}`, 'error');
      close.textContent = 'Close';
      return { ok: false, reason };
    }
  }
  return { ok: false, cancelled: true };
}
