/** @module The producers registry: which phase's evidence Autopilot writes itself (by the roles of the config), and writing it. */
import type { TaskState } from '../../../core/task.ts';
import { AutopilotError, ErrorCode } from '../../../core/errors.ts';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readNoFollow, sha256Hex, writeAtomic } from '../../repo/files.ts';
import { phaseFolder } from '../folder.ts';
import type { CommandRecord } from './run-commands.ts';
import { produceImplement } from './diff.ts';
import { produceMonitor, producePr, produceReview } from './commands.ts';
import { produceVerify, type VerifyOutput } from './verify.ts';
import type { Engine } from '../../context.ts';
import type { Config } from '../../../core/config.ts';
import type { PhaseRoles } from '../../../core/phases.ts';
import type { Finding } from '../../../validators/index.ts';
import type { GroundingSummary } from '../../../core/grounding.ts';
import { groundingPhases, produceGrounding } from './grounding.ts';

export interface Produced {
  /** Artifact name → sha256 of what Autopilot just produced. */
  readonly digests: Map<string, string>;
  /** The phase the files are evidence of, and the files; written by {@link installProduced} only. */
  readonly phase?: string;
  readonly files?: readonly { readonly name: string; readonly content: string }[];
  readonly commands: CommandRecord[];
  readonly verify?: VerifyOutput;
  /** What the producer's own check found (a grounding citation of no file): each one holds the move like the gate's. */
  readonly findings?: readonly Finding[];
  /** The grounding of a planning phase, recorded with the transition (`data.grounding`). */
  readonly grounding?: GroundingSummary;
}

type ProducerFn = (
  engine: Engine,
  state: TaskState,
) => Promise<{
  files: { name: string; content: string }[];
  commands?: CommandRecord[];
  verify?: VerifyOutput;
  findings?: Finding[];
  grounding?: GroundingSummary;
}>;

/** The producer of the phase in the verify role (`roles.verify`), whatever its name. */
const VERIFY_PRODUCER: ProducerFn = async (engine, s) => {
  const verify = await produceVerify(engine, s);
  return { files: verify.files, commands: verify.commands, verify };
};

/** Each role's producer, in the order a phase that plays several roles is looked up. */
const PRODUCERS: readonly (readonly [keyof PhaseRoles, ProducerFn])[] = [
  ['verify', VERIFY_PRODUCER],
  // The diff is the implement role's evidence, whatever the phase is called.
  ['implement', produceImplement],
  ['review', (engine) => produceReview(engine)],
  ['ci', producePr],
  ['monitor', produceMonitor],
];

function producerOf(config: Config, phase: string): ProducerFn | undefined {
  // By role, never by name: a phase named VERIFY or PR that the config gives no such role produces nothing.
  const byRole = PRODUCERS.find(([role]) => config.roles[role] === phase)?.[1];
  if (byRole) return byRole;
  // The planning phases' citations are checked against the code (see grounding.ts).
  return groundingPhases(config).includes(phase) ? produceGrounding : undefined;
}

/** True when Autopilot writes evidence of `phase` itself (its producer runs commands or reads git). */
export function hasProducer(config: Config, phase: string): boolean {
  return producerOf(config, phase) !== undefined;
}

/**
 * Runs the phase's producer. Its files are kept in memory, not written: a move writes
 * them with {@link installProduced} inside the transaction that records them, so that a
 * producer of a move that loses (or a slow one that another process overtook) can never
 * replace files that the ledger has recorded, nor files another process is reading.
 */
export async function produce(engine: Engine, state: TaskState, phase: string): Promise<Produced> {
  const fn = producerOf(engine.config, phase);
  if (!fn) return { digests: new Map(), commands: [] };
  // A folder that cannot take the files is refused before any command runs (and again when they are written).
  const folder = phaseFolder(engine.layout, state.taskId, phase);
  if (!folder.ok) throw new AutopilotError(ErrorCode.PATH_OUTSIDE_EVIDENCE, folder.error.message, folder.error.details);
  const out = await fn(engine, state);
  const digests = new Map(out.files.map((f) => [f.name, sha256Hex(f.content)]));
  return {
    digests,
    phase,
    files: out.files,
    commands: out.commands ?? [],
    ...(out.verify ? { verify: out.verify } : {}),
    ...(out.findings?.length ? { findings: out.findings } : {}),
    ...(out.grounding ? { grounding: out.grounding } : {}),
  };
}

/**
 * Writes what a producer made into its phase folder; call it inside the transaction that records it. Returns what
 * puts back the files no evidence rule of the phase names (Autopilot's own records of a check, such as
 * grounding.json): a move that is refused after all leaves them as they were, while the files the contract names
 * stay, for the agent to read what failed.
 */
export function installProduced(engine: Engine, taskId: string, produced: Produced): () => void {
  if (!produced.phase || !produced.files?.length) return () => undefined;
  // Checked now, as the files are written: the folder must still be a real folder, not a symlink put there meanwhile.
  const folder = phaseFolder(engine.layout, taskId, produced.phase);
  if (!folder.ok) throw new AutopilotError(ErrorCode.PATH_OUTSIDE_EVIDENCE, folder.error.message, folder.error.details);
  const named = new Set((engine.config.evidence[produced.phase] ?? []).map((r) => r.name));
  const before: { name: string; bytes: Buffer | undefined }[] = [];
  for (const f of produced.files) {
    if (!named.has(f.name)) {
      const prior = readNoFollow(join(folder.value, f.name), Infinity);
      before.push({ name: f.name, bytes: prior.kind === 'file' ? prior.bytes : undefined });
    }
    writeAtomic(folder.value, f.name, f.content);
  }
  return () => {
    for (const b of before)
      if (b.bytes) writeAtomic(folder.value, b.name, b.bytes);
      else rmSync(join(folder.value, b.name), { force: true });
  };
}
