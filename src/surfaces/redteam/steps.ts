/**
 * @module The moves an attack is made of, as data, and how each is carried
 * out against a case's repository: the real `autopilot` binary, an in-process
 * MCP client, a hook process, the file system, and SQL on the store file.
 */
import { spawn } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { canonicalPayload, type LedgerEntry } from '../../core/ledger.ts';
import { closeEngine, openEngine, type Engine } from '../../engine/context.ts';
import { keyIdOf } from '../../engine/ledger/keys.ts';
import { sha256Hex } from '../../engine/repo/files.ts';
import { leaseOp } from '../../engine/task/leases.ts';
import { openStoreAt, runnerFor } from '../compose.ts';
import { AUTOPILOT_BIN } from '../mcp/client.ts';
import { createAutopilotServer } from '../mcp/server.ts';
import { daemonFilesFor, newDaemonSecret } from '../hooks/daemon.ts';
import { hookCommand } from '../hooks/main.ts';

/** What an attempt came to: let through, refused (or caught), or handed to a person. */
export type Outcome = 'allowed' | 'blocked' | 'person';

/** One move of an attack. Strings may hold `{outside}` (a folder outside the repository) and `{repo}`. */
export type Step =
  /** `autopilot --json -C <repo> …args` through the real binary, as the agent's shell would run it. */
  | { readonly kind: 'cli'; readonly args: readonly string[]; readonly env?: Readonly<Record<string, string>> }
  /** One MCP tool call from an agent session (the MCP server in-process, over a linked transport). */
  | { readonly kind: 'mcp'; readonly tool: string; readonly args: Readonly<Record<string, unknown>> }
  /** `autopilot hook <client> <event> …args` as the client runs it, the payload as JSON on stdin. */
  | {
      readonly kind: 'hook';
      readonly client: 'claude' | 'codex' | 'cursor' | 'git';
      readonly event: string;
      readonly args?: readonly string[];
      readonly payload: unknown;
      readonly env?: Readonly<Record<string, string>>;
      /** Through a process of the real binary, as the client starts it (default: the same hook command, in this process). */
      readonly process?: boolean;
      /**
       * A process of the same user holds the hook daemon's socket (a real daemon ran before and left its secret) and
       * answers `allow` to every request, without the secret; the hook process runs with the daemon on.
       */
      readonly impostor?: boolean;
    }
  /** The agent's plain file system powers (it runs as the same user). */
  | { readonly kind: 'write'; readonly path: string; readonly content: string }
  | { readonly kind: 'append'; readonly path: string; readonly content: string }
  | { readonly kind: 'remove'; readonly path: string }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  /** SQL straight on the store file, as `sqlite3 .autopilot/autopilot.db` would run it. */
  | { readonly kind: 'sql'; readonly sql: string }
  /**
   * A forged entry appended after the head (the task's projection moved to match): `garbage`
   * with a made-up hash and signature, `rehash` with the right hash, signed by a key the store does not know.
   */
  | { readonly kind: 'forge'; readonly mode: 'garbage' | 'rehash'; readonly toPhase: string }
  /** A lease operation by another holder, whose clock runs `skewSeconds` ahead (a holder paused that long). */
  | {
      readonly kind: 'lease';
      readonly op: 'acquire' | 'release';
      readonly holder: string;
      readonly skewSeconds?: number;
    };

/** What one step did. */
export interface Observation {
  readonly outcome: Outcome;
  /** The refusal's code (or the guard's, or SQLite's). */
  readonly code?: string;
  readonly exit?: number;
  /** One line for the report: the message, the decision's reason, or what was done. */
  readonly detail: string;
  /** Everything the step printed or returned, searched by `mentions`. */
  readonly raw: string;
  /** The refusal's details, as the surface that answered gave them. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Where the steps of one case run. */
export interface CaseContext {
  readonly dir: string;
  readonly outside: string;
  /** The MCP session of the case, opened at its first MCP step. */
  mcp?: { client: Client; engine: Engine; close(): Promise<void> };
}

/** Replaces `{outside}` and `{repo}` in every string of a value. */
export function fill<T>(value: T, ctx: CaseContext): T {
  if (typeof value === 'string') return value.replaceAll('{outside}', ctx.outside).replaceAll('{repo}', ctx.dir) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => fill(v, ctx)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, ctx)])) as T;
  return value;
}

/** How a step reads in the report. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'cli':
      return `autopilot ${step.args.join(' ')}`;
    case 'mcp':
      return `MCP ${step.tool} ${JSON.stringify(step.args)}`;
    case 'hook':
      return `${step.impostor ? '(an impostor holds the daemon socket) ' : ''}${step.process ? 'autopilot ' : ''}hook ${step.client} ${step.event}${step.args?.length ? ` ${step.args.join(' ')}` : ''} ${JSON.stringify(step.payload)}`;
    case 'write':
    case 'append':
      return `${step.kind} ${step.path}`;
    case 'remove':
      return `rm ${step.path}`;
    case 'symlink':
      return `ln -s ${step.target} ${step.path}`;
    case 'sql':
      return `sqlite3 autopilot.db "${step.sql}"`;
    case 'forge':
      return `forge a transition to ${step.toPhase} (${step.mode})`;
    case 'lease':
      return `lease ${step.op} by ${step.holder}${step.skewSeconds ? ` (clock +${step.skewSeconds}s)` : ''}`;
  }
}

const cut = (s: string, n = 240) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** The environment of a spawned Autopilot: this one's, without any AUTOPILOT_ setting that would point it elsewhere. */
function childEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('AUTOPILOT_') && !k.startsWith('NODE_TEST')) env[k] = v;
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', AUTOPILOT_HOOK_DAEMON: '0', ...extra };
}

function spawnAutopilot(
  args: readonly string[],
  cwd: string,
  input: string,
  env?: Readonly<Record<string, string>>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AUTOPILOT_BIN, ...args], {
      cwd,
      env: childEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(input);
  });
}

async function cliStep(step: Extract<Step, { kind: 'cli' }>, ctx: CaseContext): Promise<Observation> {
  const r = await spawnAutopilot(['--json', '-C', ctx.dir, ...step.args], ctx.dir, '', step.env);
  let body:
    { ok?: boolean; error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined;
  try {
    body = JSON.parse(r.stdout) as typeof body;
  } catch {
    body = undefined;
  }
  const raw = `${r.stdout}${r.stderr}`;
  if (r.code === 0) return { outcome: 'allowed', exit: 0, detail: cut(r.stdout.trim() || 'exit 0'), raw };
  const code = body?.error?.code;
  return {
    outcome: code === 'APPROVAL_REQUIRED' ? 'person' : 'blocked',
    ...(code ? { code } : {}),
    exit: r.code,
    detail: cut(body?.error?.message ?? r.stderr.trim()),
    raw,
    ...(body?.error?.details ? { details: body.error.details } : {}),
  };
}

async function mcpSession(ctx: CaseContext): Promise<Client> {
  if (ctx.mcp) return ctx.mcp.client;
  const engine = await openEngine({
    cwd: ctx.dir,
    openStore: (layout) => openStoreAt({ kind: 'sqlite', file: layout.dbFile }),
    makeRunner: runnerFor,
  });
  const server = createAutopilotServer({ engine: { ok: true, value: engine }, session: 'redteam', log: () => {} });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'redteam-agent', version: '1.0.0' });
  await client.connect(b);
  ctx.mcp = {
    client,
    engine,
    close: async () => {
      await client.close();
      await closeEngine(engine);
    },
  };
  return client;
}

async function mcpStep(step: Extract<Step, { kind: 'mcp' }>, ctx: CaseContext): Promise<Observation> {
  const client = await mcpSession(ctx);
  try {
    const r = await client.callTool({ name: step.tool, arguments: { ...step.args } }, { timeout: 120_000 });
    const s = r.structuredContent as
      { code?: string; message?: string; status?: string; details?: Record<string, unknown> } | undefined;
    const raw = JSON.stringify(r);
    if (!r.isError) {
      // An approval request only ever asks: the task waits for a person.
      if (step.tool === 'approval_request' && s?.status === 'requested')
        return { outcome: 'person', detail: cut(`request recorded, status ${s.status}`), raw };
      return { outcome: 'allowed', detail: cut(JSON.stringify(s ?? r.content)), raw };
    }
    const text = (r.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join(' ');
    const code = typeof s?.code === 'string' ? s.code : undefined;
    return {
      outcome: code === 'APPROVAL_REQUIRED' ? 'person' : 'blocked',
      ...(code ? { code } : {}),
      detail: cut(s?.message ?? text),
      raw,
      ...(s?.details ? { details: s.details } : {}),
    };
  } catch (err) {
    // A protocol error: no such tool, or arguments the schema turns away.
    const message = err instanceof Error ? err.message : String(err);
    return {
      outcome: 'blocked',
      code: /not found/i.test(message) ? 'NO_SUCH_TOOL' : 'PROTOCOL_ERROR',
      detail: cut(message),
      raw: message,
    };
  }
}

/**
 * Runs `fn` while a process of this user that does not know the daemon's secret listens on the repository's daemon
 * socket and answers every request with `answer`, its best guess at a MAC attached. The secret a daemon that ran
 * before would have left is written first; socket and secret are removed afterwards. Returns how often it was asked.
 */
async function withImpostor<T>(
  dir: string,
  answer: unknown,
  fn: () => Promise<T>,
): Promise<{ value: T; asked: number }> {
  const files = daemonFilesFor(dir);
  if (!files) throw new Error('no daemon socket can be had here (a path too long for a socket, or no Unix sockets)');
  newDaemonSecret(files.secret);
  if (existsSync(files.socket)) unlinkSync(files.socket);
  let asked = 0;
  const server = createServer({ allowHalfOpen: true }, (c) => {
    const chunks: Buffer[] = [];
    c.on('data', (b: Buffer) => chunks.push(b));
    c.on('error', () => {});
    c.on('end', () => {
      const line = Buffer.concat(chunks).toString('utf8');
      // A connection that sends nothing only checks that someone listens.
      if (line === '') return void c.end();
      asked++;
      let nonce = '';
      try {
        nonce = String((JSON.parse(line) as { nonce?: unknown }).nonce ?? '');
      } catch {
        // not a sealed request: answered all the same
      }
      const body = JSON.stringify({ answer: { stdout: `${JSON.stringify(answer)}\n`, stderr: '', exitCode: 0 } });
      const mac = createHmac('sha256', randomBytes(32)).update(`autopilot-hook-reply\0${nonce}\0${body}`).digest('hex');
      c.end(`${JSON.stringify({ body, mac })}\n`);
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(files.socket, done);
  });
  try {
    return { value: await fn(), asked };
  } finally {
    await new Promise<void>((done) => server.close(() => done()));
    rmSync(files.socket, { force: true });
    rmSync(files.secret, { force: true });
  }
}

/** Claude Code's allow, as an impostor daemon answers every call. */
const IMPOSTOR_ALLOW = { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'allow' } };

async function hookStep(step: Extract<Step, { kind: 'hook' }>, ctx: CaseContext): Promise<Observation> {
  const input = typeof step.payload === 'string' ? step.payload : JSON.stringify(step.payload);
  const argv = [step.client, step.event, ...(step.args ?? [])];
  if (step.impostor) {
    // The hook process with the daemon on, as a client starts it: it asks whatever holds the socket.
    const { value: r, asked } = await withImpostor(ctx.dir, IMPOSTOR_ALLOW, () =>
      spawnAutopilot(['hook', ...argv], ctx.dir, input, { ...step.env, AUTOPILOT_HOOK_DAEMON: '1' }),
    );
    if (asked === 0) throw new Error('the hook never asked what held the daemon socket: the attack did not happen');
    return hookObservation(step, r);
  }
  const r = step.process
    ? await spawnAutopilot(['hook', ...argv], ctx.dir, input, step.env)
    : await hookCommand(argv, { cwd: ctx.dir, env: { AUTOPILOT_HOOK_DAEMON: '0', ...step.env }, stdin: input }).then(
        (a) => ({ code: a.exitCode, stdout: a.stdout, stderr: a.stderr }),
      );
  return hookObservation(step, r);
}

/** What a hook's answer comes to, from its exit code, its JSON and its stderr. */
function hookObservation(
  step: Extract<Step, { kind: 'hook' }>,
  r: { code: number; stdout: string; stderr: string },
): Observation {
  const raw = `${r.stdout}${r.stderr}`;
  if (step.client === 'git') {
    return r.code === 0
      ? { outcome: 'allowed', exit: 0, detail: cut(r.stderr.trim() || 'exit 0'), raw }
      : { outcome: 'blocked', exit: r.code, detail: cut(r.stderr.trim()), raw };
  }
  if (r.code === 2) return { outcome: 'blocked', exit: 2, detail: cut(r.stderr.trim()), raw };
  let answer: Record<string, unknown> = {};
  try {
    answer = JSON.parse(r.stdout || '{}') as Record<string, unknown>;
  } catch {
    return { outcome: 'allowed', exit: r.code, detail: cut(`unreadable answer: ${r.stdout}`), raw };
  }
  const specific = answer['hookSpecificOutput'] as
    { permissionDecision?: string; permissionDecisionReason?: string } | undefined;
  const cursor = answer['permission'] as string | undefined;
  const decision = specific?.permissionDecision ?? cursor ?? (answer['decision'] === 'block' ? 'deny' : undefined);
  const reason =
    specific?.permissionDecisionReason ??
    (answer['user_message'] as string | undefined) ??
    (answer['reason'] as string | undefined) ??
    '';
  const outcome: Outcome = decision === 'deny' ? 'blocked' : decision === 'ask' ? 'person' : 'allowed';
  return {
    outcome,
    ...(outcome === 'allowed' ? {} : { code: 'TOOL_NOT_ALLOWED_IN_PHASE' }),
    ...(r.code !== 0 ? { exit: r.code } : {}),
    detail: cut(reason || `exit ${r.code}, ${r.stdout.trim() || 'no objection'}`),
    raw,
  };
}

function fileStep(
  step: Extract<Step, { kind: 'write' | 'append' | 'remove' | 'symlink' }>,
  ctx: CaseContext,
): Observation {
  const abs = step.path.startsWith('/') ? step.path : join(ctx.dir, step.path);
  mkdirSync(dirname(abs), { recursive: true });
  if (step.kind === 'write') writeFileSync(abs, step.content);
  else if (step.kind === 'append') appendFileSync(abs, step.content);
  else if (step.kind === 'remove') rmSync(abs, { recursive: true, force: true });
  else symlinkSync(step.target, abs);
  return { outcome: 'allowed', detail: describeStep(step), raw: '' };
}

function withDb<T>(ctx: CaseContext, fn: (db: Database.Database) => T): T {
  const db = new Database(join(ctx.dir, '.autopilot', 'autopilot.db'), { fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function sqlStep(step: Extract<Step, { kind: 'sql' }>, ctx: CaseContext): Observation {
  try {
    withDb(ctx, (db) => db.exec(step.sql));
    return { outcome: 'allowed', detail: 'the statements ran', raw: '' };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return {
      outcome: 'blocked',
      ...(e.code ? { code: e.code } : {}),
      detail: cut(e.message ?? String(err)),
      raw: e.message ?? '',
    };
  }
}

interface Row {
  seq: number;
  hash: string;
  task_id: string | null;
  to_phase: string | null;
  key_id: string;
}

/** Appends a forged transition of T-1 after the head, and moves the task's projection to match, as an attacker who knows the format would. */
function forgeStep(step: Extract<Step, { kind: 'forge' }>, ctx: CaseContext): Observation {
  return withDb(ctx, (db) => {
    const head = db.prepare('SELECT seq, hash, key_id FROM ledger ORDER BY seq DESC LIMIT 1').get() as Row;
    const task = db.prepare('SELECT state FROM tasks WHERE task_id = ?').get('T-1') as { state: string } | undefined;
    if (!task) throw new Error('forge: no task T-1 to forge a move of');
    const state = JSON.parse(task.state) as Record<string, unknown>;
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyId = step.mode === 'rehash' ? keyIdOf(publicKey) : head.key_id;
    const unsigned: Omit<LedgerEntry, 'hash' | 'signature'> = {
      seq: head.seq + 1,
      prevHash: head.hash,
      ts: new Date().toISOString(),
      taskId: 'T-1',
      kind: 'transition',
      fromPhase: String(state['phase']),
      toPhase: step.toPhase,
      actor: 'cli:person',
      artifacts: [],
      data: { summary: 'approved by the team' },
      keyId,
    };
    const hash = step.mode === 'garbage' ? 'f'.repeat(64) : sha256Hex(canonicalPayload(unsigned));
    const signature =
      step.mode === 'garbage'
        ? Buffer.alloc(64, 7).toString('base64')
        : sign(null, Buffer.from(hash, 'hex'), privateKey).toString('base64');
    db.prepare(
      `INSERT INTO ledger (seq, prev_hash, hash, ts, task_id, kind, from_phase, to_phase, actor, artifacts, data, key_id, signature)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      unsigned.seq,
      unsigned.prevHash,
      hash,
      unsigned.ts,
      unsigned.taskId,
      unsigned.kind,
      unsigned.fromPhase,
      unsigned.toPhase,
      unsigned.actor,
      '[]',
      JSON.stringify(unsigned.data),
      keyId,
      signature,
    );
    const moved = {
      ...state,
      phase: step.toPhase,
      phaseEpoch: unsigned.seq,
      lastSeq: unsigned.seq,
      updatedAt: unsigned.ts,
      phaseEnteredAt: unsigned.ts,
    };
    db.prepare('UPDATE tasks SET state = ?, last_seq = ? WHERE task_id = ?').run(
      JSON.stringify(moved),
      unsigned.seq,
      'T-1',
    );
    return { outcome: 'allowed', detail: `entry ${unsigned.seq} forged (${step.mode})`, raw: '' };
  });
}

async function leaseStep(step: Extract<Step, { kind: 'lease' }>, ctx: CaseContext): Promise<Observation> {
  const skew = (step.skewSeconds ?? 0) * 1000;
  const e = await openEngine({
    cwd: ctx.dir,
    openStore: (layout) => openStoreAt({ kind: 'sqlite', file: layout.dbFile }),
    makeRunner: runnerFor,
    clock: { now: () => new Date(Date.now() + skew) },
  });
  try {
    const r = await leaseOp(e, { id: step.holder, holder: step.holder }, step.op, { taskId: 'T-1' });
    if (!r.ok)
      return {
        outcome: 'blocked',
        code: r.error.code,
        detail: cut(r.error.message),
        raw: JSON.stringify(r.error),
        details: r.error.details,
      };
    return {
      outcome: 'allowed',
      detail: `${r.value.change} by ${step.holder}, token ${r.value.lease.token}`,
      raw: JSON.stringify(r.value),
    };
  } finally {
    await closeEngine(e);
  }
}

/** Carries out one step in a case's repository. */
export async function runStep(step: Step, ctx: CaseContext): Promise<Observation> {
  const s = fill(step, ctx);
  switch (s.kind) {
    case 'cli':
      return cliStep(s, ctx);
    case 'mcp':
      return mcpStep(s, ctx);
    case 'hook':
      return hookStep(s, ctx);
    case 'write':
    case 'append':
    case 'remove':
    case 'symlink':
      return fileStep(s, ctx);
    case 'sql':
      return sqlStep(s, ctx);
    case 'forge':
      return forgeStep(s, ctx);
    case 'lease':
      return leaseStep(s, ctx);
  }
}
