/** Small DOM builders: text always goes through textContent (never innerHTML), so run data cannot inject markup. */
import type { Table } from './shaping/table';

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const child of children) if (child) el.append(child);
  return el;
}

/** A custom element (vscode-elements) with attributes. */
export function custom(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const child of children) if (child) el.append(child);
  return el;
}

export function tableElement(table: Table, onCopy: ((table: Table) => void) | null): HTMLElement {
  const head = h('thead', {}, h('tr', {}, ...table.headers.map((x) => h('th', { scope: 'col' }, x))));
  const body = h('tbody', {}, ...table.rows.map((row) => h('tr', {}, ...row.map((cell) => h('td', {}, cell === null ? '' : String(cell))))));
  const copy = onCopy ? custom('vscode-button', { secondary: '', title: 'Copy this table as CSV' }, 'Copy CSV') : null;
  copy?.addEventListener('click', () => onCopy?.(table));
  return h('section', { class: 'table-block' }, h('div', { class: 'table-title' }, h('h3', {}, table.name), copy), h('div', { class: 'table-scroll' }, h('table', { class: 'data', 'data-name': table.name }, head, body)));
}

export function select(label: string, options: { value: string; label: string }[], value: string, onChange: (value: string) => void): HTMLElement {
  const el = custom('vscode-single-select', { 'aria-label': label }, ...options.map((o) => custom('vscode-option', o.value === value ? { value: o.value, selected: '' } : { value: o.value }, o.label)));
  el.addEventListener('change', () => onChange((el as HTMLElement & { value: string }).value));
  return h('label', { class: 'filter' }, h('span', {}, label), el);
}

export function emptyNote(text: string): HTMLElement {
  return h('p', { class: 'note' }, text);
}
