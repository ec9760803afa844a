/**
 * @module The one-time registration code of `autopilot serve`: printed on its terminal, never shown by the dashboard,
 * so that only a person at that terminal can register a passkey. Single use, valid 15 minutes, burnt after 5 wrong
 * tries; a fresh one is printed whenever the last is used up.
 */
import { randomInt } from 'node:crypto';

/** No 0/O, 1/I/L: read off a terminal and typed without doubt. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CODE_TTL_MS = 15 * 60 * 1000;
export const CODE_TRIES = 5;

export type CodeCheck = 'ok' | 'wrong' | 'expired';

/** What a person types, compared without dashes, spaces or case. */
const normal = (code: string) => code.replace(/[\s-]/g, '').toUpperCase();

export class RegistrationCodes {
  #code = '';
  #expires = 0;
  #wrong = 0;
  /** The WebAuthn challenge handed out for the current code, and for whom. */
  #pending: { name: string; challenge: string } | undefined;
  readonly #now: () => number;
  readonly #print: (code: string, why: string) => void;

  /** `print` shows a new code on the server's terminal. */
  constructor(now: () => number, print: (code: string, why: string) => void) {
    this.#now = now;
    this.#print = print;
  }

  /** The code in force, issuing one when there is none or it expired. */
  current(): { code: string; expires: string } {
    if (!this.#code || this.#now() > this.#expires) this.#issue(this.#code ? 'the last one expired' : 'first code');
    return { code: this.#code, expires: new Date(this.#expires).toISOString() };
  }

  /** Checks a typed code; a wrong one counts toward burning the code, an expired one is replaced. */
  check(typed: string): CodeCheck {
    if (!this.#code) return 'expired';
    if (this.#now() > this.#expires) {
      this.#issue('the last one expired');
      return 'expired';
    }
    if (normal(typed) === normal(this.#code)) return 'ok';
    if (++this.#wrong >= CODE_TRIES) this.#issue(`the last one was guessed wrong ${CODE_TRIES} times`);
    return 'wrong';
  }

  /** Keeps the challenge of the registration under way (one at a time). */
  begin(name: string, challenge: string): void {
    this.#pending = { name, challenge };
  }

  /** The challenge handed out to `name`, if it is the registration under way. */
  pending(name: string): string | undefined {
    return this.#pending?.name === name ? this.#pending.challenge : undefined;
  }

  /** The code was used: it never works again, and the next is printed. */
  consume(name: string): void {
    this.#issue(`the last one registered ${name}`);
  }

  #issue(why: string): void {
    let raw = '';
    for (let i = 0; i < 8; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
    this.#code = `${raw.slice(0, 4)}-${raw.slice(4)}`;
    this.#expires = this.#now() + CODE_TTL_MS;
    this.#wrong = 0;
    this.#pending = undefined;
    this.#print(this.#code, why);
  }
}
