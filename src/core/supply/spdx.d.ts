/** @module Types of the two SPDX packages the licence check uses (both CommonJS, without their own types). */
declare module 'spdx-expression-parse' {
  namespace parse {
    type Node = Leaf | Conjunction;
    interface Leaf {
      readonly license: string;
      readonly plus?: boolean;
      readonly exception?: string;
    }
    interface Conjunction {
      readonly left: Node;
      readonly conjunction: 'and' | 'or';
      readonly right: Node;
    }
  }
  /** Parses an SPDX license expression; throws on anything else. */
  function parse(expression: string): parse.Node;
  export = parse;
}

declare module 'spdx-satisfies' {
  /** True when the expression is satisfied by licences of the list (simple ids, `+` ranges, `WITH` exceptions). */
  function satisfies(expression: string, approved: readonly string[]): boolean;
  export = satisfies;
}
