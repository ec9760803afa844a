/**
 * @module Parsing a file for the atlas with tree-sitter (the wasm grammars from npm, loaded once a process): a query
 * a language finds the imports, exports and calls, and a few lines a capture read the names out of each node.
 */
import { createRequire } from 'node:module';
import { Language, Parser, Query, type Node } from 'web-tree-sitter';
import type { AtlasLanguage, Binding, ImportFact, ParsedFile } from '../../core/atlas.ts';

const require = createRequire(import.meta.url);

const WASM: Readonly<Record<AtlasLanguage, string>> = {
  typescript: 'tree-sitter-typescript/tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-typescript/tree-sitter-tsx.wasm',
  javascript: 'tree-sitter-javascript/tree-sitter-javascript.wasm',
  python: 'tree-sitter-python/tree-sitter-python.wasm',
  go: 'tree-sitter-go/tree-sitter-go.wasm',
};

const SCRIPT_COMMON = `
(import_statement) @import
(export_statement) @export
(call_expression function: (identifier) @call arguments: (arguments . (string (string_fragment) @require)))
(call_expression function: (import) arguments: (arguments . (string (string_fragment) @dynamic)))
(call_expression function: (identifier) @call)
(call_expression function: (member_expression object: (identifier) @call.object property: (property_identifier) @call.property))
(assignment_expression left: (member_expression object: (identifier) @cjs.object property: (property_identifier) @cjs.property))
`;

const QUERIES: Readonly<Record<AtlasLanguage, string>> = {
  typescript: SCRIPT_COMMON,
  tsx: SCRIPT_COMMON,
  javascript: SCRIPT_COMMON,
  python: `
(import_statement) @import
(import_from_statement) @from
(module (function_definition name: (identifier) @def))
(module (class_definition name: (identifier) @def))
(module (decorated_definition definition: (function_definition name: (identifier) @def)))
(module (decorated_definition definition: (class_definition name: (identifier) @def)))
(module (expression_statement (assignment left: (identifier) @def)))
(call function: (identifier) @call)
(call function: (attribute object: (identifier) @call.object attribute: (identifier) @call.property))
`,
  go: `
(import_spec) @import
(source_file (function_declaration name: (identifier) @def))
(source_file (type_declaration (type_spec name: (type_identifier) @def)))
(source_file (var_declaration (var_spec name: (identifier) @def)))
(source_file (const_declaration (const_spec name: (identifier) @def)))
(call_expression function: (selector_expression operand: (identifier) @call.object field: (field_identifier) @call.property))
`,
};

interface Grammar {
  readonly parser: Parser;
  readonly query: Query;
}

let ready: Promise<void> | undefined;
const grammars = new Map<AtlasLanguage, Promise<Grammar>>();

/** The parser and query of a language, loaded on first use and kept for the process. */
function grammar(language: AtlasLanguage): Promise<Grammar> {
  let g = grammars.get(language);
  if (!g) {
    g = (async () => {
      // The runtime's own wasm is found through node_modules too, so that a bundle of this module still finds it.
      const runtime = require.resolve('web-tree-sitter/web-tree-sitter.wasm');
      ready ??= Parser.init({ locateFile: () => runtime });
      await ready;
      const lang = await Language.load(require.resolve(WASM[language]));
      const parser = new Parser();
      parser.setLanguage(lang);
      return { parser, query: new Query(lang, QUERIES[language]) };
    })();
    grammars.set(language, g);
  }
  return g;
}

/** The text of a string literal's content, without its quotes. */
function unquote(node: Node | null): string | undefined {
  if (!node) return undefined;
  const t = node.text;
  return /^(['"`]).*\1$/s.test(t) ? t.slice(1, -1) : t;
}

/** What one file holds: its exports, its imports as written, the callees that may name an import. */
export async function parseFile(language: AtlasLanguage, text: string): Promise<ParsedFile> {
  const { parser, query } = await grammar(language);
  const tree = parser.parse(text);
  if (!tree) throw new Error(`tree-sitter gave no tree for a ${language} file`);
  try {
    const read = language === 'python' ? readPython : language === 'go' ? readGo : readScript;
    return read(query.captures(tree.rootNode));
  } finally {
    // The tree lives in the wasm heap: without delete, 5,000 files exhaust it.
    tree.delete();
  }
}

type Capture = { readonly name: string; readonly node: Node };

class Facts {
  readonly exports = new Set<string>();
  readonly imports: ImportFact[] = [];
  readonly calls = new Set<string>();
  /** The object of the last `x.y` capture, paired with its property (captures come in document order). */
  object: string | undefined;

  done(): ParsedFile {
    return { exports: [...this.exports].sort(), imports: this.imports, calls: [...this.calls].sort() };
  }
}

function readScript(captures: readonly Capture[]): ParsedFile {
  const f = new Facts();
  for (const { name, node } of captures) {
    switch (name) {
      case 'import':
        scriptImport(node, f);
        break;
      case 'export':
        scriptExport(node, f);
        break;
      case 'require':
      case 'dynamic': {
        const call = node.parent?.parent?.parent;
        const callee = call?.childForFieldName('function');
        if (name === 'dynamic' || callee?.text === 'require') f.imports.push({ spec: node.text, bindings: [] });
        break;
      }
      case 'call':
        f.calls.add(node.text);
        break;
      case 'call.object':
      case 'cjs.object':
        f.object = node.text;
        break;
      case 'call.property':
        if (f.object !== undefined) f.calls.add(`${f.object}.${node.text}`);
        break;
      case 'cjs.property':
        if (f.object === 'exports') f.exports.add(node.text);
        break;
    }
  }
  return f.done();
}

function scriptImport(node: Node, f: Facts): void {
  const bindings: Binding[] = [];
  let spec = unquote(node.childForFieldName('source'));
  for (const child of node.namedChildren) {
    if (child.type === 'import_require_clause') {
      // import x = require('y')
      spec = unquote(child.childForFieldName('source'));
      const id = child.namedChildren.find((c) => c.type === 'identifier');
      if (id) bindings.push({ local: id.text, imported: '*' });
    }
    if (child.type !== 'import_clause') continue;
    for (const part of child.namedChildren) {
      if (part.type === 'identifier') bindings.push({ local: part.text, imported: 'default' });
      else if (part.type === 'namespace_import') {
        const id = part.namedChildren.find((c) => c.type === 'identifier');
        if (id) bindings.push({ local: id.text, imported: '*' });
      } else if (part.type === 'named_imports')
        for (const s of part.namedChildren) {
          if (s.type !== 'import_specifier') continue;
          const imported = s.childForFieldName('name')?.text;
          const local = s.childForFieldName('alias')?.text ?? imported;
          if (imported && local) bindings.push({ local, imported: unquote(s.childForFieldName('name')) ?? imported });
        }
    }
  }
  if (spec !== undefined) f.imports.push({ spec, bindings });
}

const DECLARATIONS = new Set([
  'function_declaration',
  'generator_function_declaration',
  'class_declaration',
  'abstract_class_declaration',
  'interface_declaration',
  'type_alias_declaration',
  'enum_declaration',
  'function_signature',
  'internal_module',
  'module',
]);

function scriptExport(node: Node, f: Facts): void {
  const source = unquote(node.childForFieldName('source'));
  const clause = node.namedChildren.find((c) => c.type === 'export_clause');
  const specifiers = clause ? clause.namedChildren.filter((c) => c.type === 'export_specifier') : [];
  if (source !== undefined) {
    // export … from '…': an import too.
    const bindings: Binding[] = specifiers.map((s) => {
      const imported = unquote(s.childForFieldName('name')) ?? '';
      return { local: unquote(s.childForFieldName('alias')) ?? imported, imported };
    });
    const ns = node.namedChildren.find((c) => c.type === 'namespace_export');
    if (ns) {
      const id = ns.namedChildren[0];
      if (id) {
        f.exports.add(unquote(id) ?? id.text);
        bindings.push({ local: unquote(id) ?? id.text, imported: '*' });
      }
    }
    if (!clause && !ns) bindings.push({ local: '*', imported: '*' });
    for (const b of bindings) if (b.local !== '*') f.exports.add(b.local);
    f.imports.push({ spec: source, bindings });
    return;
  }
  for (const s of specifiers) {
    const name = unquote(s.childForFieldName('alias')) ?? unquote(s.childForFieldName('name'));
    if (name) f.exports.add(name);
  }
  if (node.children.some((c) => c.type === 'default')) f.exports.add('default');
  const decl = node.childForFieldName('declaration');
  if (!decl) return;
  if (DECLARATIONS.has(decl.type)) {
    const name = decl.childForFieldName('name')?.text;
    if (name) f.exports.add(name);
  } else if (decl.type === 'lexical_declaration' || decl.type === 'variable_declaration') {
    for (const d of decl.namedChildren) {
      const id = d.type === 'variable_declarator' ? d.childForFieldName('name') : null;
      if (id?.type === 'identifier') f.exports.add(id.text);
    }
  }
}

function readPython(captures: readonly Capture[]): ParsedFile {
  const f = new Facts();
  for (const { name, node } of captures) {
    switch (name) {
      case 'import':
        for (const n of node.childrenForFieldName('name')) {
          if (n.type === 'aliased_import') {
            const mod = n.childForFieldName('name')?.text;
            const alias = n.childForFieldName('alias')?.text;
            if (mod && alias) f.imports.push({ spec: mod, bindings: [{ local: alias, imported: '*' }] });
          } else f.imports.push({ spec: n.text, bindings: [{ local: n.text.split('.')[0]!, imported: '*' }] });
        }
        break;
      case 'from': {
        const mod = node.childForFieldName('module_name')?.text;
        if (mod === undefined) break;
        const bindings: Binding[] = [];
        for (const n of node.childrenForFieldName('name')) {
          if (n.type === 'aliased_import') {
            const imported = n.childForFieldName('name')?.text;
            const local = n.childForFieldName('alias')?.text;
            if (imported && local) bindings.push({ local, imported });
          } else bindings.push({ local: n.text, imported: n.text });
        }
        if (node.namedChildren.some((c) => c.type === 'wildcard_import')) bindings.push({ local: '*', imported: '*' });
        f.imports.push({ spec: mod, bindings });
        break;
      }
      case 'def':
        if (!node.text.startsWith('_')) f.exports.add(node.text);
        break;
      case 'call':
        f.calls.add(node.text);
        break;
      case 'call.object':
        f.object = node.text;
        break;
      case 'call.property':
        if (f.object !== undefined) f.calls.add(`${f.object}.${node.text}`);
        break;
    }
  }
  return f.done();
}

function readGo(captures: readonly Capture[]): ParsedFile {
  const f = new Facts();
  for (const { name, node } of captures) {
    switch (name) {
      case 'import': {
        const spec = unquote(node.childForFieldName('path'));
        if (spec === undefined) break;
        const alias = node.childForFieldName('name')?.text;
        // Without an alias the package's name is, by convention, the last element of its path.
        const local = alias ?? spec.slice(spec.lastIndexOf('/') + 1);
        f.imports.push({ spec, bindings: local === '_' || local === '.' ? [] : [{ local, imported: '*' }] });
        break;
      }
      case 'def':
        if (/^\p{Lu}/u.test(node.text)) f.exports.add(node.text);
        break;
      case 'call.object':
        f.object = node.text;
        break;
      case 'call.property':
        if (f.object !== undefined) f.calls.add(`${f.object}.${node.text}`);
        break;
    }
  }
  return f.done();
}
