/**
 * @module The page where a person registers a passkey, with the one-time code `autopilot serve` printed on its
 * terminal.
 */
import type { LedgerEntry } from '../../../core/ledger.ts';
import { concat, html, type Html } from './html.ts';
import { timeAgo } from './format.ts';

export interface RegisterModel {
  readonly registrations: readonly LedgerEntry[];
  readonly nowMs: number;
}

/** A registered passkey: when, whose, its credential id (the start of it), and its ledger entry. */
function registrationRow(x: LedgerEntry, nowMs: number): Html {
  const credential = String(x.data['credentialId'] ?? '').slice(0, 16);
  return html`<li class="k-${x.kind}">${concat(
    html`<span class="when">${timeAgo(x.ts, nowMs)}</span><span class="kind">${String(x.data['name'] ?? '')}</span>`,
    html`<span class="text mono small">credential ${credential}…</span>`,
    html`<span class="seq"><a href="/ledger#entry-${x.seq}">#${x.seq}</a></span>`,
  )}</li>`;
}

/** What registering means, and where the code comes from. */
const REGISTER_LEDE = concat(
  html`A person's decision is a passkey signature that no agent can make. `,
  html`Register yours once, with your name and the one-time code that <code>autopilot serve</code> printed on its `,
  html`terminal (it works once and for 15 minutes; a new one is printed after).`,
);

/** What the browser will ask for. */
const DEVICE_NOTE = concat(
  html`Your browser or device will ask you to create a passkey for localhost `,
  html`and to verify that it is you (PIN, fingerprint or face).`,
);

/** The person's name, recorded with each decision. */
const NAME_FIELD = html`<div class="field grow">${concat(
  html`<label for="reg-name">Your name (recorded with each of your decisions)</label>`,
  html`<input id="reg-name" name="name" type="text" autocomplete="name" maxlength="64" `,
  html`placeholder="e.g. Dana Reviewer">`,
)}</div>`;

/** The one-time code `autopilot serve` printed. */
const CODE_FIELD = html`<div class="field">${concat(
  html`<label for="reg-code">Registration code</label>`,
  html`<input id="reg-code" name="code" type="text" autocomplete="one-time-code" spellcheck="false" maxlength="16" `,
  html`placeholder="XXXX-XXXX">`,
)}</div>`;

export function registerBody(m: RegisterModel): Html {
  return html`<div class="page-head"><div><h1>Register a passkey</h1><p class="lede">${REGISTER_LEDE}</p></div></div>
<section class="card card-pad" aria-labelledby="reg-h">
  <h2 id="reg-h" class="sr-only">Your passkey</h2>
  <p class="notice" data-passkey-state>${DEVICE_NOTE}</p>
  <form class="toolbar mt-12" data-register aria-label="Register a passkey" novalidate>
    ${NAME_FIELD}
    ${CODE_FIELD}
    <button class="btn ok" type="submit">Register a passkey</button>
    <p class="status-msg" role="status" aria-live="polite"></p>
  </form>
  <noscript><p class="notice mt-12">Registering a passkey needs JavaScript.</p></noscript>
</section>
<section class="section" id="people" data-live aria-labelledby="people-h">
  <div class="section-head"><h2 id="people-h">Registered passkeys</h2></div>
  <div class="card">${
    m.registrations.length
      ? html`<ol class="history">${m.registrations.map((x) => registrationRow(x, m.nowMs))}</ol>`
      : html`<div class="empty">No passkey registered yet.</div>`
  }</div>
</section>`;
}
