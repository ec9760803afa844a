/** @module `autopilot atlas build|show|impact`: the code atlas of the repository, and the impact of a change. */
import { isAbsolute, relative, resolve } from 'node:path';
import pc from 'picocolors';
import { fileView, impactOf, indexAtlas, symbolViews, type AtlasEdge, type Impact } from '../../../core/atlas.ts';
import { ErrorCode, refuse } from '../../../core/errors.ts';
import { plural } from '../../../core/phrasing.ts';
import { atlasOptionsFor, buildAtlas, type AtlasBuild, type AtlasOptions } from '../../../engine/graph/atlas.ts';
import { changedPaths } from '../../../engine/graph/impact.ts';
import { cwdOf, done, UsageError, type GlobalOptions, type VerbResult } from '../runtime.ts';

/** Builds the atlas, with a progress line on stderr when a person watches (not with --json). */
async function build(opts: GlobalOptions): Promise<{ options: AtlasOptions; built: AtlasBuild }> {
  const options = atlasOptionsFor(cwdOf(opts));
  const tty = !opts.json && process.stderr.isTTY;
  const built = await buildAtlas({
    ...options,
    ...(opts.json
      ? {}
      : {
          progress: (n: number, total: number) => {
            // Only worth a line on a large tree; a terminal gets one line rewritten in place.
            if (total < 500) return;
            process.stderr.write(tty ? `\ratlas: ${n}/${total} files` : `atlas: ${n}/${total} files\n`);
            if (tty && n === total) process.stderr.write('\n');
          },
        }),
  });
  return { options, built };
}

function summary(b: AtlasBuild): string {
  const langs = Object.entries(b.manifest.languages)
    .map(([l, n]) => `${l} ${n}`)
    .join(', ');
  return [
    `${pc.bold('atlas')} ${b.manifest.digest}`,
    `  ${plural(b.manifest.files, 'file')} (${langs || 'no parsable language'}), ${plural(b.manifest.edges, 'import edge')}`,
    `  graph digest ${b.manifest.graphDigest}`,
    `  ${b.parsed} parsed, ${b.reused} unchanged since the last build${b.cacheNote ? ` (${b.cacheNote})` : ''}`,
    ...b.skipped.map((s) => `  ${pc.yellow('left out')} ${s.path}: ${s.reason}`),
  ].join('\n');
}

function buildValue(b: AtlasBuild) {
  return { manifest: b.manifest, parsed: b.parsed, reused: b.reused, skipped: b.skipped, cacheNote: b.cacheNote };
}

export async function atlasBuildVerb(opts: GlobalOptions): Promise<VerbResult> {
  const { built } = await build(opts);
  return done(buildValue(built), summary(built));
}

/** A path given on the command line, as the atlas names it: relative to the repository root. */
function repoPath(root: string, cwd: string, p: string): string {
  const abs = resolve(cwd, p);
  const rel = relative(root, abs);
  return rel.startsWith('..') || isAbsolute(rel) ? p : rel.split('\\').join('/');
}

const edgeLine = (other: string, e: AtlasEdge) =>
  `    ${other}${e.names.length ? pc.dim(` {${e.names.join(', ')}}`) : ''}${e.calls.length ? pc.dim(` calls ${e.calls.join(', ')}`) : ''}`;

export async function atlasShowVerb(target: string | undefined, opts: GlobalOptions): Promise<VerbResult> {
  const { options, built } = await build(opts);
  if (target === undefined) return done(buildValue(built), summary(built));
  const index = indexAtlas(built.atlas);
  const path = repoPath(options.root, cwdOf(opts), target);
  const view = fileView(index, path);
  if (view) {
    const f = view.file;
    return done(
      { manifest: built.manifest, file: view },
      [
        `${pc.bold(f.path)} ${pc.dim(`${f.language}${f.test ? ', test' : ''}, sha256 ${f.digest.slice(0, 12)}`)}`,
        `  exports: ${f.exports.length ? f.exports.join(', ') : pc.dim('none')}`,
        `  imports (${view.imports.length}):`,
        ...view.imports.map((e) => edgeLine(e.to, e)),
        ...(view.external.length ? [`  outside the repository: ${view.external.join(', ')}`] : []),
        `  imported by (${view.importedBy.length}):`,
        ...view.importedBy.map((e) => edgeLine(e.from, e)),
      ].join('\n'),
    );
  }
  const symbols = symbolViews(index, target);
  if (symbols.length === 0)
    return refuse(
      ErrorCode.USAGE,
      `${JSON.stringify(target.slice(0, 120))} is neither a file of the atlas nor a symbol one of its files exports: give a repository path (src/a.ts) or an exported name (NAME or PATH#NAME)`,
      { argument: 'target', target: target.slice(0, 120) },
    );
  return done(
    { manifest: built.manifest, symbols },
    symbols
      .map((s) =>
        [
          pc.bold(s.symbol),
          `  imported by (${s.importedBy.length}): ${s.importedBy.join(', ') || pc.dim('none')}`,
          `  called by (${s.calledBy.length}): ${s.calledBy.join(', ') || pc.dim('none')}`,
        ].join('\n'),
      )
      .join('\n'),
  );
}

export function formatImpact(impact: Impact): string {
  const missing = impact.changed.filter((c) => !c.inAtlas).map((c) => c.path);
  const reached = impact.files.filter((f) => f.depth > 0);
  return [
    `${pc.bold('changed')}: ${plural(impact.changed.length, 'file')}${missing.length ? pc.dim(` (${missing.length} not in the atlas: ${missing.join(', ')})`) : ''}`,
    `${pc.bold('reaches')} ${plural(reached.length, 'other file')}, ${plural(impact.symbols.length, 'exported symbol')} changed`,
    ...impact.symbols
      .filter((s) => s.importedBy.length)
      .map((s) => `  ${s.symbol} ${pc.dim(`← ${s.importedBy.join(', ')}`)}`),
    `${pc.bold('tests')} that reach the change (${impact.tests.length}):`,
    ...impact.tests.map(
      (t) => `  ${t.path}${t.depth > 0 ? pc.dim(` (depth ${t.depth}, via ${t.via})`) : pc.dim(' (changed)')}`,
    ),
  ].join('\n');
}

export async function atlasImpactVerb(opts: GlobalOptions & { base?: string; files?: string[] }): Promise<VerbResult> {
  if (opts.base !== undefined && opts.files !== undefined)
    throw new UsageError('give --base REF or --files PATHS, not both: --files names the change itself', 'files');
  const options = atlasOptionsFor(cwdOf(opts));
  let changed: string[];
  let from: Record<string, unknown>;
  // The change is known (or refused) before anything is built or written.
  if (opts.files !== undefined) {
    changed = opts.files.map((p) => repoPath(options.root, cwdOf(opts), p));
    from = { files: changed };
  } else {
    const diff = await changedPaths(options.root, opts.base);
    if (!diff.ok) return diff;
    changed = diff.value.paths;
    from = { base: diff.value.base, commit: diff.value.commit };
  }
  const { built } = await build(opts);
  const impact = impactOf(indexAtlas(built.atlas), changed);
  return done({ manifest: built.manifest, change: from, impact }, formatImpact(impact));
}
