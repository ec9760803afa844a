/**
 * @module Grounding a task's artifacts in the repository: builds (or brings up to date) the atlas, lists the files
 * git knows, and resolves the artifacts' citations against both (see core/grounding.ts for the document).
 */
import { groundArtifacts, type CitingArtifact, type GroundingReport } from '../../core/grounding.ts';
import { indexAtlas } from '../../core/atlas.ts';
import { git } from '../repo/git.ts';
import { buildAtlas, type AtlasManifest, type AtlasOptions } from './atlas.ts';

/** The grounding document, and the atlas manifest it was checked against. */
export interface Grounded {
  readonly report: GroundingReport;
  readonly manifest: AtlasManifest;
}

/** Grounds `artifacts` in the repository of `opts`; `artifactNames` are the evidence contract's file names. */
export async function groundInRepository(
  opts: AtlasOptions,
  artifacts: readonly CitingArtifact[],
  artifactNames: ReadonlySet<string>,
): Promise<Grounded> {
  const built = await buildAtlas(opts);
  // Every file git knows, not only the code the atlas parses: a plan may cite a config file or a document.
  const listed = await git(opts.root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  if (listed.code !== 0) throw new Error(`git ls-files failed in ${opts.root}: ${listed.stderr.trim()}`);
  const repoFiles = new Set(listed.stdout.split('\0').filter(Boolean));
  const report = groundArtifacts(artifacts, { index: indexAtlas(built.atlas), repoFiles, artifactNames });
  return { report, manifest: built.manifest };
}
