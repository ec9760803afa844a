/** @module The page shell: head, top bar with navigation and the live indicator, skip link, footer. */
import { html, raw, type Html } from './html.ts';
import { appCss } from '../assets.ts';

export type Section = 'tasks' | 'approvals' | 'evidence' | 'metrics' | 'ledger';

export interface PageFrame {
  readonly title: string;
  readonly section: Section;
  /** The repository's folder name, shown beside the product name. */
  readonly repo: string;
  /** The ledger head the page shows; live updates compare against it. */
  readonly head: number;
  /** Tasks waiting for a person (the badge on Approvals). */
  readonly waiting: number;
  readonly body: Html;
}

const LOGO = raw(
  '<svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">' +
    '<rect width="24" height="24" rx="6" fill="#3346c9"/>' +
    '<path d="M6 16.5 12 5l6 11.5" fill="none" stroke="#fff" stroke-width="2.2" ' +
    'stroke-linecap="round" stroke-linejoin="round"/>' +
    '<circle cx="12" cy="15" r="2" fill="#9fb0ff"/></svg>',
);

const NAV: readonly { section: Section; href: string; label: string }[] = [
  { section: 'tasks', href: '/', label: 'Tasks' },
  { section: 'approvals', href: '/approvals', label: 'Approvals' },
  { section: 'evidence', href: '/evidence', label: 'Evidence' },
  { section: 'metrics', href: '/metrics', label: 'Metrics' },
  { section: 'ledger', href: '/ledger', label: 'Ledger' },
];

/** A whole page. */
export function page(f: PageFrame): Html {
  const live = html`<span class="dot" aria-hidden="true"></span><span data-live-text>Ledger entry ${f.head}</span>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${f.title} · Autopilot</title>
<style>${raw(appCss())}</style>
<script src="/assets/webauthn.js" defer></script>
<script src="/assets/app.js" defer></script>
</head>
<body data-head="${f.head}">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <div class="top-inner">
    <a class="brand" href="/">${LOGO}<span>Autopilot</span><span class="repo" title="${f.repo}">${f.repo}</span></a>
    <nav class="nav" aria-label="Main" id="nav" data-live>
      ${NAV.map(
        (n) =>
          html`<a href="${n.href}"${raw(n.section === f.section ? ' aria-current="page"' : '')}>${n.label}${
            n.section === 'approvals' && f.waiting > 0
              ? html`<span class="count" aria-label="${f.waiting} waiting">${f.waiting}</span>`
              : ''
          }</a>`,
      )}
    </nav>
    <div class="live" data-live-status data-state="idle" role="status" aria-live="polite">${live}</div>
  </div>
</header>
<main id="main" tabindex="-1">
<p id="flash" class="status-msg" role="status" aria-live="polite"></p>
${f.body}
</main>
<footer>Autopilot · every move on this page is read from the signed ledger · served on 127.0.0.1 only</footer>
</body>
</html>`;
}

/** A page for a request that went wrong: not found, refused. */
export function errorBody(title: string, message: string): Html {
  const back = html`<p><a class="btn secondary" href="/">Back to the tasks</a></p>`;
  return html`<div class="page-head"><div><h1>${title}</h1><p class="lede">${message}</p></div></div>${back}`;
}
