/**
 * @module The approval token: a secret a person presents to approve or reject.
 * It lives in this user's state folder, outside the repository (0600, in a
 * 0700 folder the agent's wall masks); the agent is never given it, and no MCP
 * tool accepts it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Layout } from '../repo/layout.ts';
import { ensurePrivateDir } from '../repo/user-state.ts';

/** The token's file name, in the keys folder of this user's state (and, before it moved, of the repository). */
export const APPROVAL_TOKEN = 'approval-token';

export function approvalTokenFile(layout: Layout): string {
  return join(layout.keysDir, APPROVAL_TOKEN);
}

/** Creates the token unless there is one; returns it. */
export function ensureApprovalToken(layout: Layout): { token: string; created: boolean } {
  const file = approvalTokenFile(layout);
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), created: false };
  ensurePrivateDir(layout.user, layout.keysDir);
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { token, created: true };
}

/** True when `token` is this installation's approval token (constant-time). */
export function checkApprovalToken(layout: Layout, token: string | undefined): boolean {
  if (!token) return false;
  let expected: string;
  try {
    expected = readFileSync(approvalTokenFile(layout), 'utf8').trim();
  } catch {
    return false;
  }
  const a = Buffer.from(expected);
  const b = Buffer.from(token.trim());
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}
