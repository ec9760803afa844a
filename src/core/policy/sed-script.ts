/** @module A small sed script scanner: finds the commands that write files (`w`) or run programs (`e`). */

/** What a sed script may do besides printing: nothing, write files, or run commands. */
export type SedEffect =
  { readonly kind: 'read' } | { readonly kind: 'write'; readonly file: string } | { readonly kind: 'exec' };

function skipDelimited(s: string, from: number, delim: string): number {
  let i = from;
  while (i < s.length && s[i] !== delim) {
    if (s[i] === '\\') i++;
    if (s[i] === '\n' && delim !== '\n') return -1;
    i++;
  }
  return i < s.length ? i + 1 : -1;
}

function restOfLine(s: string, from: number): [string, number] {
  const end = s.indexOf('\n', from);
  const stop = end < 0 ? s.length : end;
  return [s.slice(from, stop).trim(), stop];
}

function address(s: string, from: number): number {
  let i = from;
  const c = s[i];
  if (c === undefined) return i;
  if (/[0-9]/.test(c)) {
    while (/[0-9~]/.test(s[i] ?? '')) i++;
  } else if (c === '$') {
    i++;
  } else if (c === '/' || c === '\\') {
    const delim = c === '/' ? '/' : (s[i + 1] ?? '');
    i = skipDelimited(s, c === '/' ? i + 1 : i + 2, delim);
    if (i < 0) return -1;
    while (s[i] === 'I' || s[i] === 'M') i++;
  } else if (c === '+' || c === '~') {
    i++;
    while (/[0-9]/.test(s[i] ?? '')) i++;
  }
  return i;
}

/** Scans one sed script; anything it does not understand counts as `exec`. */
export function sedEffect(script: string): SedEffect {
  const s = script;
  let i = 0;
  let effect: SedEffect = { kind: 'read' };
  while (i < s.length) {
    while (i < s.length && /[\s;{}]/.test(s[i] ?? '')) i++;
    if (i >= s.length) break;
    i = address(s, i);
    if (i < 0) return { kind: 'exec' };
    if (s[i] === ',') i = address(s, i + 1);
    if (i < 0) return { kind: 'exec' };
    while (s[i] === ' ' || s[i] === '!') i++;
    const cmd = s[i++] ?? '';
    if ('pPdDnNgGhHxlL=qQzF'.includes(cmd)) {
      while (/[0-9 ]/.test(s[i] ?? '')) i++;
      continue;
    }
    if (cmd === '{' || cmd === '}' || cmd === ';') continue;
    if ('#:btTaicrRv'.includes(cmd)) {
      if ('btTv'.includes(cmd)) while (i < s.length && s[i] !== ';' && s[i] !== '\n') i++;
      else i = restOfLine(s, i)[1];
      continue;
    }
    if (cmd === 'w' || cmd === 'W') {
      const [file, next] = restOfLine(s, i);
      if (effect.kind === 'read') effect = { kind: 'write', file };
      i = next;
      continue;
    }
    if (cmd === 's' || cmd === 'y') {
      const delim = s[i] ?? '';
      if (!delim || delim === '\n' || delim === '\\') return { kind: 'exec' };
      i = skipDelimited(s, i + 1, delim);
      if (i >= 0) i = skipDelimited(s, i, delim);
      if (i < 0) return { kind: 'exec' };
      if (cmd === 'y') continue;
      while (i < s.length && /[gpiImMe0-9]/.test(s[i] ?? '')) {
        if (s[i] === 'e') return { kind: 'exec' };
        i++;
      }
      if (s[i] === 'w') {
        const [file, next] = restOfLine(s, i + 1);
        if (effect.kind === 'read') effect = { kind: 'write', file };
        i = next;
      }
      continue;
    }
    return { kind: 'exec' };
  }
  return effect;
}
