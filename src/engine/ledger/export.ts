/** @module Use case: export ledger entries as JSON lines or as DSSE-enveloped in-toto statements. */
import { INTOTO_PAYLOAD_TYPE, preAuthEncoding, statementFor, type Envelope } from '../../core/dsse.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { Engine } from '../context.ts';

export type ExportFormat = 'jsonl' | 'intoto';

export function envelopeFor(engine: Engine, entry: LedgerEntry): Envelope {
  const payload = Buffer.from(JSON.stringify(statementFor(entry)), 'utf8');
  return {
    payloadType: INTOTO_PAYLOAD_TYPE,
    payload: payload.toString('base64'),
    signatures: [
      { keyid: engine.signer.keyId, sig: engine.signer.signBytes(preAuthEncoding(INTOTO_PAYLOAD_TYPE, payload)) },
    ],
  };
}

/** Yields one line per entry, in order. */
export async function* exportLedger(
  engine: Engine,
  opts: { taskId?: string; format: ExportFormat },
): AsyncGenerator<string> {
  let from = 1;
  for (;;) {
    const batch = await engine.store.entries({
      fromSeq: from,
      limit: 2000,
      ...(opts.taskId ? { taskId: opts.taskId } : {}),
    });
    if (batch.length === 0) return;
    for (const entry of batch) yield JSON.stringify(opts.format === 'intoto' ? envelopeFor(engine, entry) : entry);
    from = batch[batch.length - 1]!.seq + 1;
  }
}
