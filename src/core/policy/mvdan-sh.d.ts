/** @module Types of the part of `mvdan-sh` (mvdan/sh v3 compiled to JavaScript by GopherJS) that the shell classifier reads. */
declare module 'mvdan-sh' {
  namespace mvdan {
    /** Any syntax node; `syntax.NodeType(node)` names its Go type (`"CallExpr"`, `"Lit"`, …). */
    interface Node {
      readonly __mvdanNode?: never;
    }
    interface File extends Node {
      readonly Stmts: readonly Stmt[];
    }
    interface Stmt extends Node {
      readonly Cmd: Node | null;
      readonly Redirs: readonly Redirect[];
    }
    interface CallExpr extends Node {
      readonly Assigns: readonly Assign[];
      readonly Args: readonly Word[];
    }
    interface Assign extends Node {
      readonly Name: Lit | null;
      readonly Value: Word | null;
      readonly Naked: boolean;
    }
    interface Word extends Node {
      readonly Parts: readonly Node[];
    }
    interface Lit extends Node {
      readonly Value: string;
    }
    interface SglQuoted extends Node {
      readonly Value: string;
      readonly Dollar: boolean;
    }
    interface DblQuoted extends Node {
      readonly Parts: readonly Node[];
      readonly Dollar: boolean;
    }
    interface ParamExp extends Node {
      readonly Param: Lit | null;
      readonly Short: boolean;
    }
    interface Redirect extends Node {
      readonly Op: number;
      readonly N: Lit | null;
      readonly Word: Word | null;
      readonly Hdoc: Word | null;
    }
    interface ParseError {
      Error(): string;
    }
    interface Parser {
      Parse(src: string, name: string): File;
    }
    type ParserOption = { readonly __mvdanOption?: never };
    interface Syntax {
      NewParser(...options: ParserOption[]): Parser;
      KeepComments(keep: boolean): ParserOption;
      Variant(lang: number): ParserOption;
      readonly LangBash: number;
      NodeType(node: Node): string;
      Walk(node: Node, visit: (node: Node | null) => boolean): void;
    }
  }
  const mvdan: { readonly syntax: mvdan.Syntax };
  export = mvdan;
}
