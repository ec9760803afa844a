/** @module Where evidence lives: the folder of a task's phase inside `<stateDir>/evidence/<TASK>/<phase>/`, and plain artifact names that cannot leave it. */
import { lstatSync } from 'node:fs';
import { join, sep } from 'node:path';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { phaseDir } from '../../core/phases.ts';
import type { Layout } from '../repo/layout.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The absolute folder of a task's phase; refuses if any part of it is a symlink or not a folder. */
export function phaseFolder(layout: Layout, taskId: string, phase: string): Result<string> {
  return realFolder(layout, [taskId, phaseDir(phase)]);
}

/** The absolute evidence folder of a task (where its contract is); refuses if any part of it is a symlink or not a folder. */
export function taskFolder(layout: Layout, taskId: string): Result<string> {
  return realFolder(layout, [taskId]);
}

function realFolder(layout: Layout, parts: readonly string[]): Result<string> {
  let dir = layout.evidenceDir;
  for (const part of ['', ...parts]) {
    dir = part ? join(dir, part) : dir;
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue; // not created yet: nothing to follow
    }
    if (st.isSymbolicLink() || !st.isDirectory()) {
      return refuse(
        ErrorCode.PATH_OUTSIDE_EVIDENCE,
        `${dir} is a symlink or not a folder; evidence folders must be real folders`,
        {
          name: dir,
          reason: 'symlink',
        },
      );
    }
  }
  return ok(dir);
}

/** Checks an artifact name: a plain file name, so that it cannot resolve outside its phase folder. */
export function checkArtifactName(name: string): Result<string> {
  if (!NAME.test(name) || name.includes('..')) {
    return refuse(
      ErrorCode.PATH_OUTSIDE_EVIDENCE,
      `"${name.slice(0, 100)}" is not a plain file name: use letters, digits, ".", "-", "_" (no folders, no "..", at most 128)`,
      {
        name: name.slice(0, 200),
        reason: name.includes('/') || name.includes(sep) || name.includes('..') ? 'path' : 'characters',
      },
    );
  }
  return ok(name);
}
