/** @module Use case: start a task in the first phase, recording its base commit and the contract it adopts. */
import { findPersona, overlayLibrary, phasePromptFor, promptEvent, recordedPrompt } from '../drift/persona.ts';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { checkTaskId, checkTitle, type TaskRouting, type TaskState } from '../../core/task.ts';
import type { Config } from '../../core/config.ts';
import { SHIPPED_PERSONAS } from '../../core/persona-library.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { append } from '../ledger/record.ts';
import { taskFolder } from '../evidence/folder.ts';
import { join, relative, sep } from 'node:path';
import { EMPTY_TREE, commitHas, resolveCommit, uncommitted } from '../repo/git.ts';
import { INIT_FILES } from '../repo/layout.ts';
import { CONTRACT_TYPES, contractSchemaFile } from '../../core/contracts/schemas.ts';
import { configDigest } from '../repo/config-digest.ts';
import { CONTRACT_FILE, contractRel, contractText } from '../repo/contract.ts';
import { sha256Hex, writeAtomic } from '../repo/files.ts';
import { latestBaseline, recordBaseline } from '../drift/baseline.ts';
import type { Actor, Engine } from '../context.ts';
import { guardRoleRecorded } from '../evidence/role.ts';

export interface StartTaskRequest {
  readonly taskId: string;
  readonly title?: string;
  /** A git ref; HEAD by default. */
  readonly base?: string;
  /** A persona to run every phase it serves with, instead of the config's (`--persona`). */
  readonly persona?: string;
  /** The task's domains, overlay ids (`--domain api`): their overlays go into every phase's prompt. */
  readonly domains?: readonly string[];
  /** The task's labels (`--label frontend`): an overlay whose id or one of whose labels matches goes in too. */
  readonly labels?: readonly string[];
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
const MAX_LABELS = 20;

/** The routing a start asks for, checked against the personas and overlays the config knows; none when none asked. */
export function checkRouting(
  config: Config,
  req: Pick<StartTaskRequest, 'persona' | 'domains' | 'labels'>,
): Result<TaskRouting | undefined> {
  const domains = [...new Set(req.domains ?? [])];
  const labels = [...new Set(req.labels ?? [])];
  if (req.persona !== undefined && !findPersona(config, req.persona)) {
    const known = [...new Set([...SHIPPED_PERSONAS.keys(), ...(config.personas?.custom ?? []).map((p) => p.id)])];
    return refuse(
      ErrorCode.USAGE,
      `no persona ${req.persona.slice(0, 64)}: pin one of ${known.join(', ')}, or add it to personas.custom in the config`,
      { argument: 'persona', known },
    );
  }
  const library = overlayLibrary(config);
  const unknown = domains.filter((d) => !library.has(d));
  if (unknown.length)
    return refuse(
      ErrorCode.USAGE,
      `no domain ${unknown.map((d) => d.slice(0, 64)).join(', ')}: a domain is an overlay id, one of ${[...library.keys()].join(', ')} (the config's personas.overlays add more)`,
      { argument: 'domain', unknown, known: [...library.keys()] },
    );
  const bad = labels.filter((l) => !LABEL.test(l));
  if (bad.length || labels.length > MAX_LABELS)
    return refuse(
      ErrorCode.USAGE,
      bad.length
        ? `label ${JSON.stringify(bad[0]?.slice(0, 64))} is not a label: letters, digits and . _ : / -, at most 64, starting with a letter or digit`
        : `${labels.length} labels: at most ${MAX_LABELS}`,
      { argument: 'label' },
    );
  if (req.persona === undefined && !domains.length && !labels.length) return ok(undefined);
  return ok({ ...(req.persona !== undefined ? { persona: req.persona } : {}), domains, labels });
}

export interface StartTaskOutcome {
  readonly task: TaskState;
  readonly entry: LedgerEntry;
}

export async function startTask(
  engine: Engine,
  actor: Actor,
  req: StartTaskRequest,
): Promise<Result<StartTaskOutcome>> {
  const startMs = Date.now();
  const role = await guardRoleRecorded(engine, actor, 'task_start', req.taskId);
  if (!role.ok) return role;
  const id = checkTaskId(req.taskId);
  if (!id.ok) return id;
  const checked = checkTitle(req.title ?? '', false);
  if (!checked.ok) return checked;
  const title = checked.value;
  const routed = checkRouting(engine.config, req);
  if (!routed.ok) return routed;
  const routing = routed.value;
  let base = await resolveCommit(engine.layout.root, req.base ?? 'HEAD');
  if (!base) {
    if (req.base !== undefined) {
      return refuse(ErrorCode.USAGE, `--base ${req.base} does not name a commit; give a branch, tag or commit id`, {
        argument: 'base',
      });
    }
    base = EMPTY_TREE; // a repository without commits: everything is new
  }
  // A task started on top of init's uncommitted files would hold them in its diff (the new CI workflow makes
  // it high-risk), and the CI gate would find no committed contract: they go in first.
  const head = await resolveCommit(engine.layout.root, 'HEAD');
  const configRel = relative(engine.layout.root, engine.layout.configFile).split(sep).join('/');
  if (head && !(await commitHas(engine.layout.root, head, configRel))) {
    const stateIgnore = relative(engine.layout.root, join(engine.layout.stateDir, '.gitignore')).split(sep).join('/');
    // init also writes the contracts' JSON Schemas into the state folder.
    const schemas = CONTRACT_TYPES.map((t) =>
      relative(engine.layout.root, join(engine.layout.stateDir, 'schemas', contractSchemaFile(t)))
        .split(sep)
        .join('/'),
    );
    const files = await uncommitted(engine.layout.root, [...INIT_FILES, stateIgnore, ...schemas]);
    const list = (files.includes(configRel) ? files : [configRel, ...files]).join(' ');
    return refuse(
      ErrorCode.CONFIG_INVALID,
      `${configRel} is not committed: the files \`autopilot init\` wrote would be part of ${req.taskId}'s change, and the CI gate would find no committed config. Commit them first: git add ${list} && git commit -m "Set up Autopilot"; then start the task again`,
      { key: '(file)', reason: 'not committed', file: configRel, uncommitted: files },
    );
  }
  const first = engine.config.phases[0] as string;
  // The first task fixes the baseline of the agent's instructions, so drift is noticed from the start.
  if (!(await latestBaseline(engine))) await recordBaseline(engine, actor, { version: '1' });
  const result = await engine.store.transact(async (tx): Promise<Result<StartTaskOutcome>> => {
    const existing = await tx.getTask(req.taskId);
    if (existing) {
      return refuse(
        ErrorCode.TASK_EXISTS,
        `task ${req.taskId} already exists (${existing.status}, in ${existing.phase}); pick another id`,
        {
          taskId: req.taskId,
          phase: existing.phase,
        },
      );
    }
    // The contract the task adopts goes beside its evidence, its digest into the entry: judged by it later, whatever
    // the config becomes. Written before the entry commits; a start that fails leaves a file no entry names.
    const folder = taskFolder(engine.layout, req.taskId);
    if (!folder.ok) return folder;
    const contract = contractText(engine.layout.configFile, engine.config);
    const rel = contractRel(req.taskId);
    writeAtomic(folder.value, CONTRACT_FILE, contract);
    const entry = await append(engine, tx, {
      taskId: req.taskId,
      kind: 'task_started',
      fromPhase: null,
      toPhase: first,
      actor: actor.id,
      artifacts: [{ path: rel, sha256: sha256Hex(contract), producer: 'autopilot' }],
      data: {
        title,
        baseCommit: base,
        configDigest: configDigest(engine.config),
        ...(routing ? { routing } : {}),
        prompt: recordedPrompt(engine, phasePromptFor(engine, first, undefined, routing, req.taskId)),
      },
    });
    const task = await tx.getTask(req.taskId);
    if (!task) throw new Error('task projection missing after start');
    return ok({ task, entry });
  });
  if (result.ok) {
    engine.sink.emit({
      type: 'transition',
      kind: 'start',
      taskId: req.taskId,
      from: null,
      to: first,
      result: 'ok',
      seq: result.value.entry.seq,
      ...promptEvent(result.value.entry.data),
      startMs,
      endMs: Date.now(),
      actor: actor.id,
      ...(actor.sessionId ? { sessionId: actor.sessionId } : {}),
    });
  }
  return result;
}
