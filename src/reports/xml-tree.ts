/** @module Safe XML parsing into fast-xml-parser's ordered tree, shared by the Cobertura and JaCoCo parsers. */
import { XMLParser, XMLValidator, type EntityDecoderOptions } from 'fast-xml-parser';
import { ReportError } from './errors.ts';

const MAX_NESTING = 256;
const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const ENTITY_RE = /&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));/g;

// Decodes the five XML entities and numeric references in one pass; entities
// declared in a DOCTYPE are never expanded, so no entity-expansion attacks.
const entityDecoder: EntityDecoderOptions = {
  setExternalEntities: () => {},
  addInputEntities: () => {},
  reset: () => {},
  setXmlVersion: () => {},
  decode: (text) =>
    text.indexOf('&') === -1
      ? text
      : text.replace(
          ENTITY_RE,
          (whole, hex: string | undefined, dec: string | undefined, named: string | undefined) => {
            if (named !== undefined) return XML_ENTITIES[named] ?? whole;
            const code = hex !== undefined ? parseInt(hex, 16) : parseInt(dec ?? '', 10);
            const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
            return valid ? String.fromCodePoint(code) : '\uFFFD';
          },
        ),
};

/** A node of fast-xml-parser's `preserveOrder` output: `{ tag: children, ':@': attributes }` or `{ '#text': text }`. */
export type XmlNode = Record<string, unknown>;

/** The tag name of an element node (`'#text'` for a text node). */
export function tagOf(node: XmlNode): string | undefined {
  for (const key of Object.keys(node)) if (key !== ':@') return key;
  return undefined;
}

/** The child elements of an element node, optionally only those with the tag `only`. */
export function childElements(node: XmlNode, only?: string): XmlNode[] {
  const tag = tagOf(node);
  const children = tag === undefined ? undefined : node[tag];
  if (!Array.isArray(children)) return [];
  return (children as XmlNode[]).filter((child) => {
    const childTag = tagOf(child);
    return childTag !== undefined && childTag !== '#text' && (only === undefined || childTag === only);
  });
}

/** The value of an attribute, or undefined when the element does not have it. */
export function attr(node: XmlNode, name: string): string | undefined {
  const attrs = node[':@'];
  if (typeof attrs !== 'object' || attrs === null || !Object.hasOwn(attrs, name)) return undefined;
  const value: unknown = (attrs as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** The concatenated text children of an element node. */
export function textOf(node: XmlNode): string {
  const tag = tagOf(node);
  const children = tag === undefined ? undefined : node[tag];
  if (!Array.isArray(children)) return '';
  let text = '';
  for (const child of children as XmlNode[]) {
    const value = child['#text'];
    if (typeof value === 'string') text += value;
  }
  return text;
}

/**
 * Checks that `xml` is well-formed and returns its root elements (declarations,
 * processing instructions, comments and the DOCTYPE left out). A BOM is
 * ignored. `kind` names the report in error messages, e.g. "Cobertura XML report".
 *
 * @throws ReportError when the text is empty, not well-formed XML, or has no root element.
 */
export function parseXmlRoots(xml: string, kind: string): XmlNode[] {
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  if (text.trim() === '') throw new ReportError(`${kind} is empty`);
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new ReportError(
      `${kind} is not well-formed XML (line ${line}${col === undefined ? '' : `, column ${col}`}): ${msg}`,
    );
  }
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    entityDecoder,
    maxNestedTags: MAX_NESTING,
  });
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (err) {
    throw new ReportError(`${kind} could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const roots = (Array.isArray(doc) ? (doc as XmlNode[]) : []).filter((node) => {
    const tag = tagOf(node);
    return tag !== undefined && tag !== '#text' && !tag.startsWith('?') && !tag.startsWith('!');
  });
  if (roots.length === 0) throw new ReportError(`${kind} has no root element`);
  return roots;
}
