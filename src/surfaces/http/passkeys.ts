/**
 * @module The dashboard's two changes, both WebAuthn ceremonies: registering a person's passkey (with the one-time
 * code `autopilot serve` printed) and a person's decision on a task (the decision prepared here, signed by the
 * passkey in the browser, verified and recorded by the engine). No token or header stands in for either.
 */
import type { Context, Hono } from 'hono';
import { ErrorCode } from '../../core/errors.ts';
import { DECISIONS, type Decision } from '../../core/decision.ts';
import { prepareDecision, registerPasskey, registrationOptions } from '../../engine/approvals/passkeys.ts';
import { applyDecision } from '../../engine/task/decision.ts';
import type { RelyingParty } from '../../engine/approvals/passkeys.ts';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { fail } from './api.ts';
import { rubricText, type RubricDimension } from '../../core/review.ts';
import type { DashboardContext } from './context.ts';

const DONE_WORD: Record<Decision, string> = {
  approve: 'approved',
  request_changes: 'requested changes on',
  escalate: 'escalated',
  abort: 'aborted',
  adopt_contract: 'adopted the current config as the contract of',
  adopt_gate_inputs: 'allowed the changed gate workflow of',
  review: 'reviewed',
  change_modes: 'changed the modes of the contract of',
};

/** The relying party of a dashboard on `port`: WebAuthn needs a domain, and browsers treat localhost as secure. */
export function localParty(port: number): RelyingParty {
  return { origin: `http://localhost:${port}`, rpId: 'localhost' };
}

/** The JSON object body of a POST, or the response refusing it. */
async function body(c: Context): Promise<Record<string, unknown> | Response> {
  if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
    return fail(
      c,
      {
        code: ErrorCode.USAGE,
        message: 'send the request as JSON (Content-Type: application/json)',
        details: { argument: 'body' },
      },
      415,
    );
  }
  let value: unknown;
  try {
    value = await c.req.json();
  } catch {
    return fail(c, { code: ErrorCode.USAGE, message: 'the body is not JSON', details: { argument: 'body' } });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return fail(c, { code: ErrorCode.USAGE, message: 'the body must be a JSON object', details: { argument: 'body' } });
  return value as Record<string, unknown>;
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

export function mountPasskeys(app: Hono, ctx: DashboardContext): void {
  const { engine } = ctx;

  /** The code must be the one in force; a refusal says what to do next. */
  const codeRefused = (c: Context, typed: string) => {
    const check = ctx.codes.check(typed);
    if (check === 'ok') return undefined;
    return fail(c, {
      code: ErrorCode.APPROVAL_REQUIRED,
      message:
        check === 'expired'
          ? 'the registration code expired: use the new one autopilot serve just printed on its terminal'
          : 'that is not the registration code autopilot serve printed on its terminal (a code works once)',
      details: { reason: 'registration-code' },
    });
  };

  app.post('/api/passkeys/options', async (c) => {
    const b = await body(c);
    if (b instanceof Response) return b;
    const name = text(b['name']).trim();
    const refused = codeRefused(c, text(b['code']));
    if (refused) return refused;
    const r = await registrationOptions(engine, localParty(ctx.port), name);
    if (!r.ok) return fail(c, r.error);
    ctx.codes.begin(name, r.value.challenge);
    return c.json({ ok: true, options: r.value });
  });

  app.post('/api/passkeys', async (c) => {
    const b = await body(c);
    if (b instanceof Response) return b;
    const name = text(b['name']).trim();
    const refused = codeRefused(c, text(b['code']));
    if (refused) return refused;
    const challenge = ctx.codes.pending(name);
    if (!challenge)
      return fail(c, {
        code: ErrorCode.APPROVAL_REQUIRED,
        message: 'no registration of that name is under way: start again from the Register page',
        details: { reason: 'registration-code' },
      });
    const r = await registerPasskey(engine, localParty(ctx.port), {
      name,
      response: b['response'] as RegistrationResponseJSON,
      expectedChallenge: challenge,
    });
    if (!r.ok) return fail(c, r.error);
    ctx.codes.consume(name);
    ctx.log(`registered a passkey for ${name} (ledger entry ${r.value.entry.seq})`);
    void ctx.watcher.poll();
    return c.json({
      ok: true,
      seq: r.value.entry.seq,
      credentialId: r.value.credential.credentialId,
      message: `Passkey registered for ${name} (ledger entry ${r.value.entry.seq}). Decisions on the Approvals page are now signed with it.`,
    });
  });

  app.post('/api/tasks/:id/decision/options', async (c) => {
    const b = await body(c);
    if (b instanceof Response) return b;
    const decision = b['decision'] as Decision;
    if (!DECISIONS.includes(decision))
      return fail(c, {
        code: ErrorCode.USAGE,
        message: `decision must be one of ${DECISIONS.join(', ')}`,
        details: { argument: 'decision' },
      });
    const r = await prepareDecision(engine, localParty(ctx.port), {
      taskId: c.req.param('id'),
      decision,
      note: text(b['reason']),
      ...(text(b['backtrackTo']) ? { backtrackTo: text(b['backtrackTo']) } : {}),
    });
    if (!r.ok) return fail(c, r.error);
    return c.json({ ok: true, ...r.value });
  });

  // A person's review: the rubric built from the form, checked against its artifact's rule, and prepared for the
  // passkey to sign; the signed review then goes to the decision route above with the rubric's text.
  app.post('/api/tasks/:id/review/options', async (c) => {
    const b = await body(c);
    if (b instanceof Response) return b;
    const dims = b['dimensions'];
    if (!dims || typeof dims !== 'object' || Array.isArray(dims))
      return fail(c, {
        code: ErrorCode.USAGE,
        message: 'dimensions must be an object: each rubric dimension with {pass, notes}',
        details: { argument: 'dimensions' },
      });
    const dimensions: Record<string, RubricDimension> = {};
    for (const [name, v] of Object.entries(dims as Record<string, unknown>)) {
      const d = v as { pass?: unknown; notes?: unknown } | null;
      if (!d || typeof d.pass !== 'boolean' || typeof d.notes !== 'string')
        return fail(c, {
          code: ErrorCode.USAGE,
          message: `dimension ${name.slice(0, 40)} needs {pass: true or false, notes: text}`,
          details: { argument: 'dimensions' },
        });
      dimensions[name] = { pass: d.pass, notes: d.notes.trim() };
    }
    const content = rubricText(dimensions);
    const r = await prepareDecision(engine, localParty(ctx.port), {
      taskId: c.req.param('id'),
      decision: 'review',
      note: text(b['reason']),
      rubric: Buffer.from(content, 'utf8'),
    });
    if (!r.ok) return fail(c, r.error);
    return c.json({ ok: true, ...r.value, content });
  });

  app.post('/api/tasks/:id/decision', async (c) => {
    const b = await body(c);
    if (b instanceof Response) return b;
    const signed = b['decision'] as { task?: unknown; decision?: unknown } | undefined;
    if (signed?.task !== c.req.param('id'))
      return fail(c, {
        code: ErrorCode.USAGE,
        message: `the signed decision is not about ${c.req.param('id')}`,
        details: { argument: 'decision' },
      });
    const r = await applyDecision(engine, {
      decision: b['decision'],
      response: b['response'],
      ...(b['content'] !== undefined ? { content: b['content'] } : {}),
    });
    await engine.sink.flush();
    if (!r.ok) return fail(c, r.error);
    const who = r.value.person.replace(/^person:/, '');
    const word = DONE_WORD[signed.decision as Decision];
    ctx.log(`${who} ${word} ${signed.task} with a passkey (ledger entry ${r.value.entry.seq})`);
    void ctx.watcher.poll();
    const back = r.value.backtrack;
    const sent = back
      ? back.ok
        ? `; sent back to ${back.value.to} (ledger entry ${back.value.entry.seq})`
        : `; it goes back to ${String(r.value.entry.data['backtrackTo'])} before it moves on (the backtrack itself was refused: ${back.error.message})`
      : '';
    return c.json({
      ok: true,
      decision: signed.decision,
      seq: r.value.entry.seq,
      task: r.value.task,
      person: who,
      ...(back
        ? { backtrack: back.ok ? { seq: back.value.entry.seq, to: back.value.to } : { refused: back.error } }
        : {}),
      message: `${who} ${word} ${String(signed.task)} (ledger entry ${r.value.entry.seq}, signed with a passkey)${sent}`,
    });
  });
}
