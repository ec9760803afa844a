/**
 * @module Fake credentials in the formats secretlint's rules recognise (AWS, GitHub, Slack, a private key block) and a
 * random generic token, put together from pieces at run time so that the repository itself holds no secret-looking
 * string. The same pieces every run: the tests' seeds are fixed.
 */
import { generateKeyPairSync } from 'node:crypto';

/** Fake credentials in the formats secretlint's rules recognise, from pieces. */
export function fakeKeys() {
  const pick = (alphabet: string, n: number, seed: number) =>
    Array.from({ length: n }, (_, i) => alphabet[(seed * 31 + i * 17 + ((i * i) % 7)) % alphabet.length]).join('');
  const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const mixed = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return {
    aws: ['AK', 'IA', pick(upper, 16, 3)].join(''),
    github: ['gh', 'p_', pick(mixed, 36, 5)].join(''),
    slack: ['xo', 'xb-', '2417809612', '-', '2417809612345', '-', pick(mixed, 24, 7)].join(''),
    privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    }) as string,
    generic: pick(mixed, 24, 11),
  };
}
