/**
 * @module A software passkey for tests that run without a browser: a real P-256 key pair producing real WebAuthn
 * registration ("none" attestation) and assertion responses, byte for byte what an authenticator returns, so the
 * server's verification runs unchanged. The browser tests use Chromium's virtual authenticator instead.
 */
import { applyDecision } from '../../src/engine/task/decision.ts';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Engine } from '../../src/engine/context.ts';
import {
  decide,
  prepareDecision,
  registerPasskey,
  registrationOptions,
  type DecisionDraft,
  type RelyingParty,
} from '../../src/engine/approvals/passkeys.ts';

/** The relying party of the in-process tests: the dashboard's, on port 4400. */
export const RP: RelyingParty = { origin: 'http://localhost:4400', rpId: 'localhost' };

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 256) return [(major << 5) | 24, n];
  return [(major << 5) | 25, n >> 8, n & 255];
}

/** The little CBOR that COSE keys and attestation objects need: integers, byte and text strings, maps. */
function cbor(v: Cbor): Buffer {
  if (typeof v === 'number') return Buffer.from(v >= 0 ? head(0, v) : head(1, -1 - v));
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([Buffer.from(head(3, b.length)), b]);
  }
  if (v instanceof Map)
    return Buffer.concat([Buffer.from(head(5, v.size)), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
  return Buffer.concat([Buffer.from(head(2, v.length)), Buffer.from(v)]);
}

const b64u = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

export class SoftPasskey {
  readonly id = randomBytes(16);
  readonly #key: KeyObject;
  readonly #cose: Buffer;
  counter = 0;

  constructor(readonly rp: RelyingParty = RP) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#key = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    this.#cose = cbor(
      new Map<Cbor, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
  }

  get credentialId(): string {
    return b64u(this.id);
  }

  #authData(flags: number, extra: Buffer = Buffer.alloc(0)): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    return Buffer.concat([createHash('sha256').update(this.rp.rpId).digest(), Buffer.from([flags]), counter, extra]);
  }

  #clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** The response to a registration ceremony with `challenge` (user present and verified). */
  register(challenge: string): RegistrationResponseJSON {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(this.id.length);
    const attested = Buffer.concat([Buffer.alloc(16), len, this.id, this.#cose]);
    const authData = this.#authData(0x45, attested);
    const attestationObject = cbor(
      new Map<Cbor, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(this.#clientData('webauthn.create', challenge, this.rp.origin)),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
    };
  }

  /** An assertion over `challenge`; each one counts up, as an authenticator does. */
  assert(challenge: string, opts: { origin?: string } = {}): AuthenticationResponseJSON {
    this.counter++;
    const authData = this.#authData(0x05);
    const clientData = this.#clientData('webauthn.get', challenge, opts.origin ?? this.rp.origin);
    const signed = Buffer.concat([authData, createHash('sha256').update(clientData).digest()]);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientData),
        authenticatorData: b64u(authData),
        signature: b64u(sign('sha256', signed, { key: this.#key, dsaEncoding: 'der' })),
      },
      clientExtensionResults: {},
    };
  }
}

type R<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
function must<T>(r: R<T>, what: string): T {
  if (!r.ok) throw new Error(`${what}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

/** Registers a new software passkey for `name` through the engine, as the dashboard does after the code check. */
export async function registerSoft(engine: Engine, name: string, rp: RelyingParty = RP): Promise<SoftPasskey> {
  const key = new SoftPasskey(rp);
  const options = must(await registrationOptions(engine, rp, name), 'registration options');
  must(
    await registerPasskey(engine, rp, {
      name,
      response: key.register(options.challenge),
      expectedChallenge: options.challenge,
    }),
    'register',
  );
  return key;
}

/** Prepares a decision and signs it with `key`: what the dashboard sends once the person's passkey signed. */
export async function signSoft(engine: Engine, key: SoftPasskey, draft: DecisionDraft) {
  const prepared = must(await prepareDecision(engine, key.rp, draft), 'prepare the decision');
  return { decision: prepared.decision, response: key.assert(prepared.options.challenge) };
}

/** A person's decision through the engine, signed with `key`, and carried out (a request for changes sends the task back). */
export async function decideSoft(engine: Engine, key: SoftPasskey, draft: DecisionDraft) {
  return applyDecision(engine, await signSoft(engine, key, draft));
}

/** Only records a person's decision, without carrying it out: what a crash between the two leaves. */
export async function recordSoft(engine: Engine, key: SoftPasskey, draft: DecisionDraft) {
  return decide(engine, await signSoft(engine, key, draft));
}
