// The dialog's provider picker: a combobox over a grouped listbox of the custom kinds and the
// built-in providers. Picking one loads its app (when it has one) and renders its fields.
import { api, type App, type Provider } from './api';
import { fieldsFor } from './add_fields';
import { renderFields } from './add_form';
import { banner, input, state, type Kind } from './add_state';
import { byId, errorText, h } from './dom';
import type { ProviderDefinition } from './provider_schema';

interface Choice { kind: Kind; provider: Provider | null; label: string; group: string; category: string }

/// The picker's heading for each catalog category (the schema's values, PROVIDER_FIELDS.category).
const CATEGORY_HEADINGS: Record<ProviderDefinition['category'], string> = {
  analytics: 'Analytics', communication: 'Communication', crm: 'CRM', design: 'Design',
  developer: 'Developer tools', ecommerce: 'E-commerce', finance: 'Finance and accounting', hr: 'HR and recruiting',
  identity: 'Identity and sign-in', marketing: 'Marketing', media: 'Media', other: 'Other',
  productivity: 'Productivity', social: 'Social', storage: 'Storage', support: 'Support',
};

function choices(): Choice[] {
  const custom: Choice[] = [
    { kind: 'oauth2', provider: null, label: 'Custom OAuth 2.0', group: 'Custom', category: '' },
    { kind: 'client_credentials', provider: null, label: 'OAuth 2.0 Client Credentials', group: 'Custom', category: '' },
    { kind: 'oauth1', provider: null, label: 'Custom OAuth 1.0', group: 'Custom', category: '' },
    { kind: 'mcp', provider: null, label: 'MCP server', group: 'Custom', category: '' },
  ];
  // The catalog's custom-oauth1 template is what "Custom OAuth 1.0" above fills in, every
  // endpoint included; as a built-in it would need its {host} value, which this dialog does not ask.
  // Built-ins are grouped under their category's heading, groups and names in alphabetical order.
  const builtin = state.providers.filter((p) => p.builtin && p.key !== 'custom-oauth1').map((p): Choice => ({
    kind: 'builtin', provider: p, label: p.display_name, category: p.category,
    group: CATEGORY_HEADINGS[p.category] ?? CATEGORY_HEADINGS.other,
  }));
  builtin.sort((a, b) => a.group.localeCompare(b.group) || a.label.localeCompare(b.label));
  return [...custom, ...builtin];
}

let active = -1;
let shown: Choice[] = [];

/// No option highlighted (a newly opened dialog).
export function resetPicker(): void { active = -1; }

function renderOptions(filter: string): void {
  const list = byId('provider-options');
  const search = byId<HTMLInputElement>('provider-search');
  const q = filter.trim().toLowerCase();
  // A search matches a name, a key, or a category (its value or its heading: "crm", "finance").
  const matched = choices().filter((c) => !q || c.label.toLowerCase().includes(q) || (c.provider?.key ?? '').includes(q) ||
    (c.provider !== null && (c.category.includes(q) || c.group.toLowerCase().includes(q))));
  // What the search names exactly, then what starts with it, come first ("x" finds X before
  // Box and Dropbox); the other matches stay in their groups.
  const rank = (c: Choice) => {
    const label = c.label.toLowerCase();
    const key = c.provider?.key ?? '';
    return label === q || key === q ? 0 : label.startsWith(q) || key.startsWith(q) ? 1 : 2;
  };
  const best = q ? matched.filter((c) => rank(c) < 2)
    .sort((a, b) => rank(a) - rank(b) || a.label.localeCompare(b.label))
    .map((c) => ({ ...c, group: 'Best matches' })) : [];
  shown = [...best, ...matched.filter((c) => !q || rank(c) === 2)];
  list.replaceChildren();
  let group = '';
  shown.forEach((c, i) => {
    if (c.group !== group) {
      group = c.group;
      list.append(h('li', { role: 'presentation', class: 'group' }, group));
    }
    const li = h('li', { role: 'option', id: `opt-${i}`, 'aria-selected': i === active ? 'true' : 'false', 'data-kind': c.kind }, c.label);
    li.addEventListener('mousedown', (e) => { e.preventDefault(); void pick(i); });
    list.append(li);
  });
  if (!shown.length) list.append(h('li', { role: 'presentation', class: 'group' }, 'No provider matches'));
  list.hidden = false;
  search.setAttribute('aria-expanded', 'true');
  if (active >= 0 && active < shown.length) search.setAttribute('aria-activedescendant', `opt-${active}`);
  else search.removeAttribute('aria-activedescendant');
}

function closeOptions(): void {
  byId('provider-options').hidden = true;
  byId('provider-search').setAttribute('aria-expanded', 'false');
}

async function pick(i: number): Promise<void> {
  const c = shown[i];
  if (!c) return;
  const mine = ++state.generation;
  state.kind = c.kind;
  state.chosen = c.provider;
  byId<HTMLInputElement>('provider-search').value = c.label;
  byId('provider-chosen').textContent = c.provider ? `${c.provider.display_name}: only your app's client ID, secret and scopes are needed.`
    : c.kind === 'mcp' ? 'No client ID or secret is needed: the gateway registers itself with the server\'s authorization server.' : '';
  closeOptions();
  state.touched = new Set();
  state.serverErrors = new Map();
  // A built-in provider whose app is set already: its client ID and scopes are filled in.
  const loaded = await loadApp(c.provider?.has_app ? c.provider : null);
  if (mine !== state.generation) return;
  state.app = loaded;
  state.fields = fieldsFor(c.kind, c.provider);
  renderFields();
  const first = state.fields.find((f) => f.type !== 'readonly' && f.type !== 'secret');
  if (first) input(first.name)?.focus();
}

/// The provider's app from the gateway (null when it has none); a failure is shown in the banner.
export async function loadApp(p: Provider | null): Promise<App | null> {
  if (!p) return null;
  try {
    return await api.app(p.key);
  } catch (e) {
    banner(`The app settings of ${p.display_name} could not be read: ${errorText(e)}`);
    return null;
  }
}

export function wirePicker(): void {
  const search = byId<HTMLInputElement>('provider-search');
  search.addEventListener('input', () => { active = -1; renderOptions(search.value); });
  search.addEventListener('focus', () => renderOptions(search.value === chosenLabel() ? '' : search.value));
  search.addEventListener('blur', () => closeOptions());
  search.addEventListener('keydown', (e) => {
    const list = byId('provider-options');
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (list.hidden) renderOptions(search.value);
      const step = e.key === 'ArrowDown' ? 1 : -1;
      active = Math.max(0, Math.min(shown.length - 1, active + step));
      renderOptions(search.value === chosenLabel() ? '' : search.value);
      document.getElementById(`opt-${active}`)?.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Enter') {
      if (!list.hidden && active >= 0) { e.preventDefault(); void pick(active); }
    } else if (e.key === 'Escape' && !list.hidden) {
      e.preventDefault();  // close the list, not the dialog
      e.stopPropagation();
      closeOptions();
    }
  });
}

function chosenLabel(): string {
  return choices().find((c) => c.kind === state.kind && c.provider === state.chosen)?.label ?? '';
}
