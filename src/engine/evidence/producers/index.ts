/** @module The producers registry: which phase's evidence Autopilot writes itself, and writing it. */
import type { TaskState } from '../../../core/task.ts';
import { AutopilotError, ErrorCode } from '../../../core/errors.ts';
import { sha256Hex, writeAtomic } from '../../repo/files.ts';
import { phaseFolder } from '../folder.ts';
import type { CommandRecord } from './run-commands.ts';
import { produceImplement } from './diff.ts';
import { produceMonitor, producePr, produceReview } from './commands.ts';
import { produceVerify, type VerifyOutput } from './verify.ts';
import type { Engine } from '../../context.ts';

export interface Produced {
  /** Artifact name → sha256 of what Autopilot just wrote. */
  readonly digests: Map<string, string>;
  readonly commands: CommandRecord[];
  readonly verify?: VerifyOutput;
}

type ProducerFn = (
  e: Engine,
  state: TaskState,
) => Promise<{ files: { name: string; content: string }[]; commands?: CommandRecord[]; verify?: VerifyOutput }>;

const PRODUCERS: Record<string, ProducerFn> = {
  IMPLEMENT: produceImplement,
  VERIFY: async (e, s) => {
    const verify = await produceVerify(e, s);
    return { files: verify.files, commands: verify.commands, verify };
  },
  REVIEW: (e) => produceReview(e),
  PR: (e) => producePr(e),
  MONITOR: produceMonitor,
};

export function hasProducer(phase: string): boolean {
  return phase in PRODUCERS;
}

/** Runs the phase's producer and writes its files into the phase folder. */
export async function produce(e: Engine, state: TaskState, phase: string): Promise<Produced> {
  const fn = PRODUCERS[phase];
  if (!fn) return { digests: new Map(), commands: [] };
  const out = await fn(e, state);
  const folder = phaseFolder(e.layout, state.taskId, phase);
  if (!folder.ok) throw new AutopilotError(ErrorCode.PATH_OUTSIDE_EVIDENCE, folder.error.message, folder.error.details);
  const digests = new Map<string, string>();
  for (const f of out.files) {
    writeAtomic(folder.value, f.name, f.content);
    digests.set(f.name, sha256Hex(f.content));
  }
  return { digests, commands: out.commands ?? [], ...(out.verify ? { verify: out.verify } : {}) };
}
