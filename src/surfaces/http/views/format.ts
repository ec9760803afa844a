/** @module Small formatters the pages share: times, digests, sizes, pretty JSON. */
import { html, raw, type Html } from './html.ts';
import { formatDuration } from '../read/graph.ts';

export { formatDuration };

/** "3 min ago", from the server's clock; the page keeps it fresh. */
export function ago(iso: string, nowMs: number): string {
  const s = Math.round((nowMs - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return '';
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** A `<time>` the page keeps relative. */
export function timeAgo(iso: string, nowMs: number): Html {
  return html`<time datetime="${iso}" data-rel="ago" title="${new Date(iso).toUTCString()}">${ago(iso, nowMs)}</time>`;
}

/** A `<time>` showing the age since `iso`, kept fresh by the page. */
export function timeAge(iso: string, nowMs: number): Html {
  const age = formatDuration(Math.max(0, nowMs - Date.parse(iso))).replace(/ \d+ s$/, '');
  return html`<time datetime="${iso}" data-rel="age" title="since ${new Date(iso).toUTCString()}">${age}</time>`;
}

/** The clock time of an entry, UTC: "14:03:12". */
export function clock(iso: string): Html {
  const d = new Date(iso);
  return html`<time datetime="${iso}" title="${d.toUTCString()}">${iso.slice(11, 19)}</time>`;
}

export function shortHash(hex: string | null | undefined, n = 12): string {
  return hex ? hex.slice(0, n) : '—';
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function percent(v: number | null, digits = 1): string {
  return v === null ? '—' : `${(v * 100).toFixed(digits)} %`;
}

/** Pretty JSON with its tokens coloured. */
export function prettyJson(value: unknown): Html {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  const out = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(
      /("(?:\\u[a-fA-F0-9]{4}|\\[^u]|[^\\"])*"(\s*:)?|\b(?:true|false)\b|\bnull\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
      (m, _s: string, colon: string | undefined) => {
        if (m.startsWith('"'))
          return colon ? `<span class="k">${m.slice(0, -colon.length)}</span>${colon}` : `<span class="s">${m}</span>`;
        if (m === 'true' || m === 'false') return `<span class="b">${m}</span>`;
        if (m === 'null') return `<span class="z">${m}</span>`;
        return `<span class="n">${m}</span>`;
      },
    );
  return html`<pre class="json">${raw(out)}</pre>`;
}

/** The URL of an artifact in the evidence browser. */
export function evidenceHref(path: string): string {
  return `/${path.split('/').map(encodeURIComponent).join('/')}`;
}
