/**
 * @module This installation's ed25519 key pair: creation, loading, signing and verification. The private key lives in
 * the per-user state folder (see repo/user-state.ts), never in the repository.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutopilotError, ErrorCode } from '../../core/errors.ts';
import type { ChainCrypto } from '../../core/ledger.ts';
import { sha256Hex } from '../repo/files.ts';

export interface Signer {
  readonly keyId: string;
  readonly publicKeyPem: string;
  /** Base64 ed25519 signature over the raw bytes of a hex SHA-256 hash. */
  sign(hashHex: string): string;
  /** Base64 ed25519 signature over arbitrary bytes (DSSE envelopes). */
  signBytes(data: Uint8Array): string;
}

/**
 * The bytes of a base64 signature, or null unless the text is exactly their standard,
 * padded base64: Node's decoder skips characters outside the alphabet, so a changed
 * padding byte would otherwise decode to the same, valid, signature.
 */
export function signatureBytes(text: string): Buffer | null {
  // A damaged store can hand back a row whose signature is no text at all.
  if (typeof text !== 'string') return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length > 0 && bytes.toString('base64') === text ? bytes : null;
}

/** Key id: the first 16 hex digits of the SHA-256 of the raw public key. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return sha256Hex(der.subarray(der.length - 32)).slice(0, 16);
}

function signerFrom(privateKey: KeyObject): Signer {
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (hashHex) => sign(null, Buffer.from(hashHex, 'hex'), privateKey).toString('base64'),
    signBytes: (data) => sign(null, data, privateKey).toString('base64'),
  };
}

export const PRIVATE_KEY_FILE = 'private.pem';

/** Creates the key pair in `dir` unless one is there; the private key is written 0600. */
export function ensureKeyPair(dir: string): { signer: Signer; created: boolean } {
  const file = join(dir, PRIVATE_KEY_FILE);
  if (existsSync(file)) return { signer: loadSigner(dir), created: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = signerFrom(privateKey);
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  writeFileSync(join(dir, `${signer.keyId}.pub.pem`), signer.publicKeyPem, { mode: 0o644 });
  return { signer, created: true };
}

export function loadSigner(dir: string): Signer {
  const file = join(dir, PRIVATE_KEY_FILE);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch {
    throw new AutopilotError(
      ErrorCode.CONFIG_INVALID,
      `no signing key for this repository at ${file} (this user's key pair lives in the per-user state folder, outside the repository); run \`autopilot init\` to create one`,
      {
        key: 'keys',
        reason: 'missing private key',
        file,
      },
    );
  }
  try {
    return signerFrom(createPrivateKey(pem));
  } catch (err) {
    throw new AutopilotError(
      ErrorCode.LEDGER_TAMPERED,
      `the signing key at ${file} is unreadable: ${(err as Error).message}`,
      { path: file },
    );
  }
}

/** Chain crypto over a set of known public keys (PEM by key id). */
export function chainCrypto(publicKeys: ReadonlyMap<string, string>): ChainCrypto {
  const cache = new Map<string, KeyObject | null>();
  const keyFor = (keyId: string): KeyObject | null => {
    if (!cache.has(keyId)) {
      const pem = publicKeys.get(keyId);
      let key: KeyObject | null = null;
      if (pem) {
        try {
          key = createPublicKey(pem);
          if (keyIdOf(key) !== keyId) key = null; // a key filed under another key's id is no key
        } catch {
          key = null;
        }
      }
      cache.set(keyId, key);
    }
    return cache.get(keyId) ?? null;
  };
  return {
    sha256: sha256Hex,
    verify(keyId, hash, signature) {
      const key = keyFor(keyId);
      const bytes = signatureBytes(signature);
      if (!key || !bytes || !/^[0-9a-f]{64}$/.test(hash)) return false;
      try {
        return verify(null, Buffer.from(hash, 'hex'), key, bytes);
      } catch {
        return false;
      }
    },
  };
}
