/** @module `autopilot doctor`: checks the installation and says how to fix what is wrong; exit 1 when something is. */
import { homedir } from 'node:os';
import pc from 'picocolors';
import { runDoctor, type DoctorCheck } from '../../../engine/setup/doctor.ts';
import { openStoreFor, probeWall, sandboxStatus } from '../../compose.ts';
import { daemonRunning } from '../../hooks/daemon.ts';
import { cwdOf, type GlobalOptions, type VerbResult } from '../runtime.ts';

const MARK: Record<DoctorCheck['status'], string> = { ok: pc.green('✓'), warn: pc.yellow('!'), fail: pc.red('✗') };

export async function doctorVerb(opts: GlobalOptions): Promise<VerbResult> {
  const report = await runDoctor(cwdOf(opts), {
    openStore: openStoreFor,
    sandboxStatus,
    wallStatus: probeWall,
    daemonRunning,
    home: homedir(),
  });
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const lines = report.checks.map(
    (c) =>
      `  ${MARK[c.status]} ${c.id.padEnd(width)}  ${c.message}${c.fix && c.status !== 'ok' ? `\n    ${' '.repeat(width + 2)}${pc.dim('fix:')} ${c.fix}` : ''}`,
  );
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const warned = report.checks.filter((c) => c.status === 'warn').length;
  const summary = failed
    ? pc.red(
        `${failed} problem${failed > 1 ? 's' : ''}${warned ? `, ${warned} warning${warned > 1 ? 's' : ''}` : ''}: fix ${failed > 1 ? 'them' : 'it'} as shown, then run autopilot doctor again`,
      )
    : warned
      ? pc.yellow(`healthy, with ${warned} warning${warned > 1 ? 's' : ''}`)
      : pc.green('healthy');
  return {
    ok: true,
    value: report,
    text: [`autopilot doctor${report.root ? ` in ${report.root}` : ''}`, ...lines, summary].join('\n'),
    ...(report.healthy ? {} : { exitCode: 1 }),
  };
}
