/** @module Codex `apply_patch` envelopes: the files a patch adds, updates, deletes or moves to. */

const HEADERS = ['*** Add File:', '*** Update File:', '*** Delete File:', '*** Move to:'];

/** The paths a patch touches, as written in it; undefined when the text has no file header at all. */
export function patchPaths(text: string): string[] | undefined {
  const paths: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const header = HEADERS.find((h) => line.startsWith(h));
    if (header) paths.push(line.slice(header.length).trim());
  }
  return paths.length > 0 ? paths : undefined;
}
