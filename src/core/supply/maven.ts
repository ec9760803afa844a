/**
 * @module Maven's pom.xml read as its dependencies are declared (Maven has no lockfile): `project/dependencies`, with
 * `${…}` properties resolved from the pom's own `<properties>` and project coordinates, versions a dependency leaves
 * out taken from the pom's own `dependencyManagement`, and the scope kept. What the pom alone cannot pin (a version
 * range, a property or managed version that lives in a parent or an imported BOM) is a note, never a guess.
 */
import { parseXmlRoots, childElements, textOf, tagOf, type XmlNode } from '../../reports/xml-tree.ts';
import { ReportError } from '../../reports/errors.ts';
import { LockfileError } from './js-lockfiles.ts';
import { dependency, type DependencyPackage, type LockfileRead } from './packages.ts';

/** Scopes that never reach the running program: their packages are development-only. */
const DEV_SCOPES = new Set(['test', 'provided', 'system']);

/** Property references nest (`${a}` → `${b}` → text); past this depth a reference is taken as a cycle. */
const MAX_DEPTH = 10;

function child(node: XmlNode, tag: string): XmlNode | undefined {
  return childElements(node, tag)[0];
}

function text(node: XmlNode | undefined, tag: string): string | undefined {
  const c = node && child(node, tag);
  const t = c && textOf(c).trim();
  return t ? t : undefined;
}

/** The pom's own properties: `<properties>` and the project's coordinates under the names Maven gives them. */
function propertiesOf(project: XmlNode): Map<string, string> {
  const props = new Map<string, string>();
  const parent = child(project, 'parent');
  const version = text(project, 'version') ?? text(parent, 'version');
  const groupId = text(project, 'groupId') ?? text(parent, 'groupId');
  const coords: [string, string | undefined][] = [
    ['project.version', version],
    ['project.groupId', groupId],
    ['project.artifactId', text(project, 'artifactId')],
    ['project.parent.version', text(parent, 'version')],
    ['project.parent.groupId', text(parent, 'groupId')],
    // Maven 2's spellings, still accepted by Maven 3.
    ['pom.version', version],
    ['version', version],
    ['pom.groupId', groupId],
  ];
  for (const [k, v] of coords) if (v !== undefined) props.set(k, v);
  const declared = child(project, 'properties');
  if (declared)
    for (const p of childElements(declared)) {
      const tag = tagOf(p);
      if (tag) props.set(tag, textOf(p).trim());
    }
  return props;
}

/** Resolves `${name}` references; undefined with the missing name when one is not the pom's own. */
function resolve(value: string, props: ReadonlyMap<string, string>): { value: string } | { missing: string } {
  let out = value;
  for (let depth = 0; depth < MAX_DEPTH && out.includes('${'); depth++) {
    let missing: string | undefined;
    out = out.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      const v = props.get(name.trim());
      if (v === undefined) missing ??= name.trim();
      return v ?? whole;
    });
    if (missing !== undefined) return { missing };
  }
  return out.includes('${') ? { missing: out } : { value: out };
}

interface Declared {
  readonly groupId?: string;
  readonly artifactId?: string;
  readonly version?: string;
  readonly scope?: string;
  readonly type?: string;
}

function declared(dep: XmlNode): Declared {
  const get = (tag: string) => text(dep, tag);
  const out: Record<string, string | undefined> = {
    groupId: get('groupId'),
    artifactId: get('artifactId'),
    version: get('version'),
    scope: get('scope'),
    type: get('type'),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as Declared;
}

/** A Maven version range (`[1.0,2.0)`, `(,1.5]`, `[1.2]`) names no single release. */
const isRange = (v: string) => /^[[(]/.test(v);

/**
 * Reads a pom.xml. Packages are named `groupId:artifactId`, as OSV's Maven records name them, with `pkg:maven`
 * purls; every declared dependency is direct (a pom does not list transitive ones), and test, provided and system
 * scopes count as development-only.
 */
export function parsePom(path: string, text_: string): LockfileRead {
  let roots: XmlNode[];
  try {
    roots = parseXmlRoots(text_, 'pom.xml');
  } catch (err) {
    if (err instanceof ReportError) throw new LockfileError(err.message);
    throw err;
  }
  const project = roots.find((r) => tagOf(r) === 'project');
  if (!project) throw new LockfileError('its root element is not <project>');
  const props = propertiesOf(project);
  const notes: string[] = [];
  const resolved = (what: string, v: string | undefined): string | undefined => {
    if (v === undefined) return undefined;
    const r = resolve(v, props);
    if ('value' in r) return r.value;
    notes.push(`${what}: the property \${${r.missing}} is not defined in this pom (a parent's or the command line's)`);
    return undefined;
  };
  // The pom's own dependencyManagement gives the versions (and default scopes) its dependencies leave out.
  const managed = new Map<string, Declared>();
  const management = child(project, 'dependencyManagement');
  const managedList = management && child(management, 'dependencies');
  for (const dep of managedList ? childElements(managedList, 'dependency') : []) {
    const d = declared(dep);
    if (d.groupId && d.artifactId) managed.set(`${d.groupId}:${d.artifactId}`, d);
  }
  const list = child(project, 'dependencies');
  const out: DependencyPackage[] = [];
  for (const dep of list ? childElements(list, 'dependency') : []) {
    const d = declared(dep);
    if (!d.groupId || !d.artifactId) {
      notes.push('a <dependency> without a groupId and an artifactId');
      continue;
    }
    const groupId = resolved(`${d.groupId}:${d.artifactId}`, d.groupId);
    const artifactId = resolved(`${d.groupId}:${d.artifactId}`, d.artifactId);
    if (groupId === undefined || artifactId === undefined) continue;
    const name = `${groupId}:${artifactId}`;
    const m = managed.get(name);
    const rawVersion = d.version ?? m?.version;
    if (rawVersion === undefined) {
      notes.push(`${name}: no version in this pom (managed by a parent or an imported BOM)`);
      continue;
    }
    const version = resolved(name, rawVersion);
    if (version === undefined) continue;
    if (isRange(version)) {
      notes.push(`${name}: the version range ${version} is not a pinned release`);
      continue;
    }
    const scope = resolved(name, d.scope ?? m?.scope) ?? 'compile';
    out.push(dependency('Maven', name, version, path, { direct: true, dev: DEV_SCOPES.has(scope), scope }));
  }
  return { lockfile: path, format: 'pom.xml', packages: out, notes };
}
