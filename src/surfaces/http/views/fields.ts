/** @module Form fields the pages share: a labelled select of choices, the current one selected. */
import { html, type Html } from './html.ts';

/** A choice: its value, and the words shown for it (the value itself when left out). */
export type Choice = string | readonly [value: string, label: string];

/** The options of a select; `anyLabel` adds a first option of value "" (no filter), never marked selected. */
export function options(choices: readonly Choice[], selected: string | undefined, anyLabel?: string): Html {
  const any = anyLabel === undefined ? '' : html`<option value="">${anyLabel}</option>`;
  return html`${any}${choices.map((c) => {
    const [value, label] = typeof c === 'string' ? [c, c] : c;
    return html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`;
  })}`;
}

/** A labelled select in a `.field`. */
export function selectField(id: string, label: string, name: string, choices: Html): Html {
  const select = html`<select id="${id}" name="${name}">${choices}</select>`;
  return html`<div class="field"><label for="${id}">${label}</label>${select}</div>`;
}
