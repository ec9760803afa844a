/**
 * @module Secrets in a phase's evidence: every file of the phase folder, and what a producer is about to write
 * there, scanned before the gate reads the folder. The gate holds each file it reads to the scan by digest, so a file
 * changed after the scan is not let through unscanned.
 */
import { join } from 'node:path';
import type { SecretFinding } from '../../core/secrets.ts';
import type { TaskState } from '../../core/task.ts';
import type { Finding } from '../../validators/index.ts';
import { listFolder, readNoFollow, sha256Hex } from '../repo/files.ts';
import { isPatch, scanPatch, scanText } from '../repo/secret-scan.ts';
import { evidenceRel } from '../repo/layout.ts';
import { phaseFolder } from './folder.ts';
import type { Engine } from '../context.ts';

/** What the scan found, by the sha256 of each scanned file's bytes (an empty list: scanned, nothing found). */
export type SecretScan = ReadonlyMap<string, readonly SecretFinding[]>;

const MAX_FILES = 200;

/** Scans one evidence file: a diff by what it adds, any other text whole; bytes that are not UTF-8 are not text. */
export async function scanEvidenceFile(name: string, bytes: Uint8Array): Promise<SecretFinding[]> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return []; // not text: the validators refuse it as evidence anyway
  }
  // The implement phase's diff: what it adds is the change's, named at the file and line of the change.
  return isPatch(name, text) ? scanPatch(text) : scanText(name, text);
}

/** Scans the phase folder's files and `pending` (files a producer is about to install there). */
export async function scanPhaseSecrets(
  engine: Engine,
  state: TaskState,
  phase: string,
  pending: readonly { readonly name: string; readonly content: string }[] = [],
): Promise<SecretScan> {
  const out = new Map<string, readonly SecretFinding[]>();
  const scan = async (name: string, bytes: Uint8Array) => {
    const digest = sha256Hex(bytes);
    if (!out.has(digest)) out.set(digest, await scanEvidenceFile(name, bytes));
  };
  for (const p of pending) await scan(p.name, Buffer.from(p.content, 'utf8'));
  const folder = phaseFolder(engine.layout, state.taskId, phase);
  if (!folder.ok) return out;
  const maxBytes = Math.max(
    engine.config.limits.maxEvidenceBytes,
    ...(engine.config.evidence[phase] ?? []).map((r) => r.maxBytes ?? 0),
  );
  for (const name of listFolder(folder.value).slice(0, MAX_FILES)) {
    const file = readNoFollow(join(folder.value, name), maxBytes);
    if (file.kind === 'file') await scan(name, file.bytes);
  }
  return out;
}

/** The gate's findings for one evidence file: its secrets, or that it changed after the scan. */
export function secretFindings(scan: SecretScan, rel: string, name: string, sha256: string): Finding[] {
  const found = scan.get(sha256);
  return found === undefined ? [changedAfterScan(rel, name)] : asFindings(found, rel, name);
}

function changedAfterScan(rel: string, name: string): Finding {
  return {
    file: rel,
    rule: 'secret',
    problem: `${name} changed after it was scanned for secrets`,
    fix: 'leave the evidence alone while the task moves, then try again',
  };
}

/** Secrets found in one evidence file (`rel`, named `name`) as the gate's findings. */
export function asFindings(found: readonly SecretFinding[], rel: string, name: string): Finding[] {
  return found.map((s) =>
    s.file === name
      ? {
          file: rel,
          rule: 'secret',
          problem: `${name} line ${s.line} holds a secret ${s.excerpt}, found by ${s.rule} (${s.messageId})`,
          fix: `remove it from ${name} (evidence is committed with the work) and revoke it; refer to it by name instead`,
        }
      : {
          file: rel,
          rule: 'secret',
          problem: `the change adds a secret ${s.excerpt} at ${s.file} line ${s.line}, found by ${s.rule} (${s.messageId})`,
          fix: `remove it from ${s.file}, revoke it, and read it from the environment or a secret store instead`,
        },
  );
}

/**
 * Secrets in the files a producer is about to install (the implement phase's diff holds what the change adds): the
 * gate's findings, so that a move refuses them before the folder, which is committed with the work, holds a copy.
 */
export function pendingSecretFindings(
  scan: SecretScan | undefined,
  taskId: string,
  phase: string,
  pending: readonly { readonly name: string; readonly content: string }[],
): Finding[] {
  if (!scan) return [];
  return pending.flatMap((p) => {
    const found = scan.get(sha256Hex(Buffer.from(p.content, 'utf8')));
    return found?.length ? asFindings(found, evidenceRel(taskId, phase, p.name), p.name) : [];
  });
}
