/** @module The data table of every page: a scrolling wrapper, a header row of column names, the rows as given. */
import { html, type Html } from './html.ts';

/** A column's heading; `num` right-aligns a column of figures. */
export type Column = string | { readonly label: string; readonly num: true };

/** A responsive data table (each cell shows its column's name on narrow screens through `data-label`). */
export function dataTable(columns: readonly Column[], rows: Html | readonly Html[]): Html {
  const heads = columns.map((c) =>
    typeof c === 'string' ? html`<th scope="col">${c}</th>` : html`<th scope="col" class="num">${c.label}</th>`,
  );
  const table = html`<table class="data responsive"><thead><tr>${heads}</tr></thead><tbody>${rows}</tbody></table>`;
  return html`<div class="table-wrap">${table}</div>`;
}
