/**
 * @module A person at a running dashboard, over its HTTP API: registers a software passkey with the registration code
 * the server printed, then prepares and signs decisions with it, as the browser page does.
 */
import assert from 'node:assert/strict';
import { SoftPasskey } from './passkey.ts';

/** A JSON answer of the dashboard: its status and body. */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A person with a registered passkey at the dashboard on `port`. */
export interface DashboardPerson {
  readonly key: SoftPasskey;
  /** POSTs JSON with the dashboard's own origin, as its page does. */
  post(path: string, body: Record<string, unknown>): Promise<Answer>;
  /** Asks for a decision's options: the decision to sign and the challenge; fails the test unless the server agrees. */
  prepare(
    taskId: string,
    draft: Record<string, unknown>,
  ): Promise<{ decision: Record<string, unknown>; challenge: string }>;
}

/** POSTs JSON to the dashboard on `port` with its own origin. */
export async function postJson(port: number, path: string, body: Record<string, unknown>): Promise<Answer> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}` },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/** Registers a new software passkey for `name` at the dashboard (the two registration calls); fails the test if either is refused. */
export async function registerAtDashboard(
  served: { readonly port: number; readonly registrationCode: string },
  name: string,
): Promise<DashboardPerson> {
  const { port, registrationCode: code } = served;
  const post = (path: string, body: Record<string, unknown>) => postJson(port, path, body);
  const key = new SoftPasskey({ origin: `http://localhost:${port}`, rpId: 'localhost' });
  const options = await post('/api/passkeys/options', { name, code });
  assert.equal(options.status, 200, JSON.stringify(options.body));
  const challenge = (options.body['options'] as { challenge: string }).challenge;
  const registered = await post('/api/passkeys', { name, code, response: key.register(challenge) });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  return {
    key,
    post,
    async prepare(taskId, draft) {
      const prepared = await post(`/api/tasks/${taskId}/decision/options`, draft);
      assert.equal(prepared.status, 200, JSON.stringify(prepared.body));
      return {
        decision: prepared.body['decision'] as Record<string, unknown>,
        challenge: (prepared.body['options'] as { challenge: string }).challenge,
      };
    },
  };
}
