/** @module mvdan/sh's syntax tree read from the GopherJS objects behind mvdan-sh, walked field by field so no node is missed. */
import mvdan from 'mvdan-sh';

/** Any syntax node (a GopherJS pointer to a `syntax.*` struct). */
export interface Node {
  readonly __shNode?: never;
}

/** A Go slice as GopherJS stores it. */
export interface Slice<T> {
  readonly $array: readonly T[];
  readonly $offset: number;
  readonly $length: number;
}

export interface File extends Node {
  readonly Stmts: Slice<Stmt>;
}
export interface Stmt extends Node {
  readonly Cmd: Node;
  readonly Redirs: Slice<Redirect>;
}
export interface CallExpr extends Node {
  readonly Assigns: Slice<Assign>;
  readonly Args: Slice<Word>;
}
export interface Assign extends Node {
  readonly Name: Lit;
  readonly Value: Word;
  readonly Naked: boolean;
}
export interface Word extends Node {
  readonly Parts: Slice<Node>;
}
export interface Lit extends Node {
  readonly Value: string;
}
export interface SglQuoted extends Node {
  readonly Value: string;
  readonly Dollar: boolean;
}
export interface DblQuoted extends Node {
  readonly Parts: Slice<Node>;
}
export interface ParamExp extends Node {
  readonly Param: Lit;
  readonly Short: boolean;
}
export interface Redirect extends Node {
  readonly Op: number;
  readonly N: Lit;
  readonly Word: Word;
  readonly Hdoc: Word;
}
export interface FuncDecl extends Node {
  readonly Name: Lit;
}

/** A script that does not parse. */
export class ShellSyntaxError extends Error {}

const { syntax } = mvdan;
const parsers: mvdan.Parser[] = [];

/**
 * Parses a Bash script. Each nesting depth has its own parser, so the tree of an outer script stays
 * intact while a script nested in it (`bash -c '…'`) is parsed.
 */
export function parseBash(source: string, depth: number): File {
  let parser = parsers[depth];
  if (!parser) {
    parser = syntax.NewParser(syntax.KeepComments(false), syntax.Variant(syntax.LangBash));
    parsers[depth] = parser;
  }
  try {
    return parser.Parse(source, '').__internal_object__ as File;
  } catch (err) {
    const message =
      err && typeof (err as mvdan.ParseError).Error === 'function' ? (err as mvdan.ParseError).Error() : String(err);
    throw new ShellSyntaxError(message);
  }
}

type GoObject = { readonly constructor?: { readonly string?: unknown; readonly nil?: unknown } } & Readonly<
  Record<string, unknown>
>;

const TYPES = new Map<unknown, string | null>();

/** The Go type name of a syntax node (`CallExpr`, `Lit`, …); undefined for nil and for anything else. */
export function typeOf(node: unknown): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const ctor = (node as GoObject).constructor;
  let type = TYPES.get(ctor);
  if (type === undefined) {
    const s = ctor?.string;
    type = typeof s === 'string' && s.startsWith('*syntax.') && s !== '*syntax.Pos' ? s.slice('*syntax.'.length) : null;
    TYPES.set(ctor, type);
  }
  return type === null || node === ctor?.nil ? undefined : type;
}

/** The elements of a Go slice. */
export function items<T>(slice: Slice<T> | undefined): T[] {
  if (!slice || !slice.$array) return [];
  return slice.$array.slice(slice.$offset, slice.$offset + slice.$length);
}

/** The node itself when it is not nil. */
export function present<T extends Node>(node: T | undefined): T | undefined {
  return typeOf(node) === undefined ? undefined : node;
}

/**
 * Visits `root` and every syntax node under it, parents first and fields in declaration order
 * (a statement's command before its redirections), as mvdan's own `syntax.Walk` does.
 */
export function walk(root: Node, visit: (type: string, node: Node) => void): void {
  const type = typeOf(root);
  if (type === undefined) return;
  visit(type, root);
  const obj = root as unknown as GoObject;
  for (const key in obj) {
    if (key === '$val') continue;
    const value = obj[key];
    if (value === null || typeof value !== 'object') continue;
    const slice = value as Partial<Slice<unknown>>;
    if (slice.$array !== undefined) {
      const end = (slice.$offset ?? 0) + (slice.$length ?? 0);
      for (let i = slice.$offset ?? 0; i < end; i++) walk(slice.$array[i] as Node, visit);
    } else {
      walk(value as Node, visit);
    }
  }
}
