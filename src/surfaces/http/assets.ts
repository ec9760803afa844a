/**
 * @module The dashboard's static assets: its style sheet and browser script, read from assets/ beside this
 * module (the sources, or dist/ where `npm run build` copies them), and @simplewebauthn/browser's bundle.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const cache = new Map<string, string>();

/** A file of assets/, read once. Throws when it is missing: the copy of the package is broken. */
function asset(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    const url = new URL(`./assets/${name}`, import.meta.url);
    try {
      text = readFileSync(url, 'utf8');
    } catch (err) {
      throw new Error(
        `the dashboard's ${name} is missing at ${url.pathname}: this copy of Autopilot is incomplete ` +
          `(in a checkout, run npm run build; otherwise install the package again)`,
        { cause: err },
      );
    }
    cache.set(name, text);
  }
  return text;
}

/** The style sheet every page inlines (assets/app.css). */
export function appCss(): string {
  return asset('app.css');
}

/** The browser script served as /assets/app.js (assets/client.js). */
export function clientJs(): string {
  return asset('client.js');
}

/** @simplewebauthn/browser's UMD bundle (it defines `SimpleWebAuthnBrowser`), read from the installed package. */
export function webauthnBrowserJs(): string {
  const main = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return readFileSync(join(dirname(main), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
}
