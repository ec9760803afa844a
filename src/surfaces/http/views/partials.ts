/** @module Small pieces of markup the dashboard's pages share: a section's heading, a button link, a ledger link. */
import { html, type Html } from './html.ts';
import type { ArtifactState } from '../read/evidence.ts';

/** A section's heading: its title (with the id the section is labelled by) and a line on what it shows. */
export function sectionHead(headingId: string, title: string, about: Html): Html {
  return html`<div class="section-head"><div><h2 id="${headingId}">${title}</h2><p>${about}</p></div></div>`;
}

/** A secondary button that links to `href`. */
export function buttonLink(href: string, label: string): Html {
  return html`<a class="btn secondary" href="${href}">${label}</a>`;
}

/** The address of a ledger entry on its task's ledger page. */
export function entryHref(taskId: string, seq: number): string {
  return `/ledger?task=${encodeURIComponent(taskId)}#entry-${seq}`;
}

const STATE_WORDS: Record<ArtifactState, string> = {
  matches: 'matches ledger',
  changed: 'changed since recorded',
  edited: 'edited since added: recorded when the phase is passed',
  missing: 'missing',
  unrecorded: 'not in the ledger',
};

/** An artifact's state against the ledger, in words. */
export function stateWord(s: ArtifactState): string {
  return STATE_WORDS[s];
}
