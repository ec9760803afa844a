/**
 * @module The demo's person: the dashboard served in-process, and headless Chromium with a virtual authenticator
 * (CDP `WebAuthn.addVirtualAuthenticator`) registering a passkey with the printed code and deciding on the approval
 * panel (requesting changes, approving), as a person at a browser would. Needs Debian's chromium and playwright-core (a development
 * dependency); without them the demo says so and leaves this step out.
 */
import { existsSync } from 'node:fs';
import type * as PlaywrightCore from 'playwright-core';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { closeEngine, openEngine } from '../../engine/context.ts';
import { openStoreFor, sinkFor, spanReaderFor } from '../compose.ts';
import { serveDashboard } from '../http/server.ts';

/** Where the demo looks for Chromium (AUTOPILOT_CHROMIUM overrides it). */
export function chromiumPath(): string {
  return process.env['AUTOPILOT_CHROMIUM'] || '/usr/bin/chromium';
}

type Playwright = typeof PlaywrightCore;

/** playwright-core and Chromium, or the reason the demo cannot drive a browser here. */
export async function browserAvailable(): Promise<{ playwright: Playwright } | { missing: string }> {
  if (!existsSync(chromiumPath()))
    return { missing: `no Chromium at ${chromiumPath()} (apt-get install chromium, or set AUTOPILOT_CHROMIUM)` };
  try {
    return { playwright: await import('playwright-core') };
  } catch {
    return { missing: 'playwright-core is not installed (it is a development dependency: npm ci in a checkout)' };
  }
}

/** Headless Chromium's flags for a run with no network, no updates and no first-run pages (tests use them too). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** A person at the dashboard in Chromium, with a registered passkey: they decide on tasks until closed. */
export interface DemoPerson {
  readonly message: string;
  decide(
    taskId: string,
    decision: 'approve' | 'request_changes',
    note: string,
    backtrackTo?: string,
  ): Promise<Result<{ seq: number; message: string }>>;
  close(): Promise<void>;
}

/**
 * Serves the dashboard in-process, opens Chromium with a virtual authenticator, and has `person` register a passkey
 * with the code the dashboard printed. The person then decides on the approval panel, as at a browser.
 */
export async function personInChromium(
  playwright: Playwright,
  repo: string,
  person: string,
): Promise<Result<DemoPerson>> {
  const e = await openEngine({ cwd: repo, openStore: openStoreFor, makeSink: sinkFor });
  const server = await serveDashboard({
    engine: e,
    spans: spanReaderFor(e.layout),
    port: 0,
    log: () => {},
    printCode: () => {},
  });
  const browser = await playwright.chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  const close = async () => {
    await browser.close();
    await server.close();
    await closeEngine(e);
  };
  try {
    const page = await (await browser.newContext()).newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await page.goto(`${server.url}register`);
    await page.fill('#reg-name', person);
    await page.fill('#reg-code', server.registrationCode.code);
    await page.click('form[data-register] button');
    const registered = page.locator('form[data-register] .status-msg');
    await registered.filter({ hasText: /✓|✗/ }).waitFor({ timeout: 30_000 });
    const reg = await registered.innerText();
    if (!reg.startsWith('✓')) {
      await close();
      return refuse(ErrorCode.APPROVAL_REQUIRED, `registering the passkey failed: ${reg}`, {});
    }
    const decide: DemoPerson['decide'] = async (taskId, decision, note, backtrackTo) => {
      await page.goto(`${server.url}approvals`);
      await page.fill(`#reason-${taskId}`, note);
      if (backtrackTo) await page.selectOption(`#to-${taskId}`, backtrackTo);
      await page.click(`#task-${taskId} button[value=${decision}]`);
      // Once recorded, the card leaves the refreshed list; the page-wide message stays.
      const status = page.locator(`#flash, #task-${taskId} .status-msg`).filter({ hasText: /✓|✗/ }).first();
      await status.waitFor({ timeout: 30_000 });
      const said = await status.innerText();
      if (!said.startsWith('✓')) return refuse(ErrorCode.APPROVAL_REQUIRED, `the decision failed: ${said}`, {});
      const seq = Number(/ledger entry (\d+)/.exec(said)?.[1] ?? 0);
      return ok({ seq, message: said.replace(/^✓\s*/, '') });
    };
    return ok({ message: reg.replace(/^✓\s*/, ''), decide, close });
  } catch (err) {
    await close();
    throw err;
  }
}
