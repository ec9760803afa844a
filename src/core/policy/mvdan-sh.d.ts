/** @module Types of the part of `mvdan-sh` (mvdan/sh v3 compiled to JavaScript by GopherJS) that the shell parser uses. */
declare module 'mvdan-sh' {
  namespace mvdan {
    type ParserOption = { readonly __mvdanOption?: never };
    /** A JavaScript wrapper around a Go value; the Go value itself is `__internal_object__`. */
    interface Wrapper {
      readonly __internal_object__: unknown;
    }
    interface Parser {
      /** Parses a whole script; throws a Go error (with an `Error()` method) on a syntax error. */
      Parse(src: string, name: string): Wrapper;
    }
    interface ParseError {
      Error(): string;
    }
    interface Syntax {
      NewParser(...options: ParserOption[]): Parser;
      KeepComments(keep: boolean): ParserOption;
      Variant(lang: number): ParserOption;
      readonly LangBash: number;
    }
  }
  const mvdan: { readonly syntax: mvdan.Syntax };
  export = mvdan;
}
