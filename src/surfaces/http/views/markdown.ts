/**
 * @module Markdown evidence rendered to HTML with raw HTML escaped, unsafe links dropped and no remote images
 * loaded.
 */
import { Marked, type Tokens } from 'marked';
import { escapeHtml, raw, type Html } from './html.ts';

const SAFE_URL = /^(?:https?:|mailto:|#|\/(?!\/)|\.{0,2}\/?[\w-])/i;

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    // Evidence is written by the agent: its HTML is shown as text, never rendered.
    html(token: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(token.text);
    },
    link(this: { parser: { parseInline(tokens: Tokens.Generic[]): string } }, token: Tokens.Link) {
      const text = this.parser.parseInline(token.tokens);
      const href = token.href.trim();
      if (!SAFE_URL.test(href) || /^\s*(javascript|data|vbscript):/i.test(href)) return text;
      const title = token.title ? ` title="${escapeHtml(token.title)}"` : '';
      return `<a href="${escapeHtml(href)}"${title} rel="noopener noreferrer nofollow">${text}</a>`;
    },
    // No remote fetches from a page: an image is shown as its description and address.
    image(token: Tokens.Image) {
      return `<span class="muted">[image: ${escapeHtml(token.text || 'untitled')} · ${escapeHtml(token.href)}]</span>`;
    },
  },
});

/** Renders Markdown text safely. */
export function renderMarkdown(text: string): Html {
  return raw(marked.parse(text, { async: false }));
}
