/** @module The page where a person registers a passkey, with the one-time code `autopilot serve` printed on its terminal. */
import type { LedgerEntry } from '../../../core/ledger.ts';
import { html, type Html } from './html.ts';
import { timeAgo } from './format.ts';

export interface RegisterModel {
  readonly registrations: readonly LedgerEntry[];
  readonly nowMs: number;
}

/** A registered passkey: when, whose, its credential id (the start of it), and its ledger entry. */
function registrationRow(x: LedgerEntry, nowMs: number): Html {
  const credential = String(x.data['credentialId'] ?? '').slice(0, 16);
  return html`<li class="k-${x.kind}"><span class="when">${timeAgo(x.ts, nowMs)}</span><span class="kind">${String(x.data['name'] ?? '')}</span><span class="text mono small">credential ${credential}…</span><span class="seq"><a href="/ledger#entry-${x.seq}">#${x.seq}</a></span></li>`;
}

export function registerBody(m: RegisterModel): Html {
  return html`<div class="page-head"><div><h1>Register a passkey</h1><p class="lede">A person's decision is a passkey signature that no agent can make. Register yours once, with your name and the one-time code that <code>autopilot serve</code> printed on its terminal (it works once and for 15 minutes; a new one is printed after).</p></div></div>
<section class="card card-pad" aria-labelledby="reg-h">
  <h2 id="reg-h" class="sr-only">Your passkey</h2>
  <p class="notice" data-passkey-state>Your browser or device will ask you to create a passkey for localhost and to verify that it is you (PIN, fingerprint or face).</p>
  <form class="toolbar mt-12" data-register aria-label="Register a passkey" novalidate>
    <div class="field grow"><label for="reg-name">Your name (recorded with each of your decisions)</label><input id="reg-name" name="name" type="text" autocomplete="name" maxlength="64" placeholder="e.g. Dana Reviewer"></div>
    <div class="field"><label for="reg-code">Registration code</label><input id="reg-code" name="code" type="text" autocomplete="one-time-code" spellcheck="false" maxlength="16" placeholder="XXXX-XXXX"></div>
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
