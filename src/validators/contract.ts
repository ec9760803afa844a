/** @module Typed-contract evidence: the document must be in its normal form and meet its contract, each issue naming its field. */
import { repairContract, type ContractContext } from '../core/contracts/repair.ts';
import type { ContractType } from '../core/contracts/schemas.ts';
import type { Finding } from './types.ts';

/**
 * One 'contract' finding per issue (the field named in `field`), or, for a document that meets its contract only once
 * repaired, one 'contract-form' finding listing the repairs: the gate takes only what `evidence add` would store.
 */
export function checkContract(type: ContractType, text: string, file: string, ctx: ContractContext): Finding[] {
  const r = repairContract(type, text, ctx);
  if (!r.ok)
    return r.issues.map((i) => ({
      file,
      rule: 'contract',
      field: i.field,
      problem: `${type} ${i.field}: ${i.problem}`,
      fix: i.fix,
    }));
  if (r.repairs.length === 0) return [];
  return [
    {
      file,
      rule: 'contract-form',
      field: r.repairs[0]?.field ?? '(root)',
      problem: `the ${type} is not in its normal form (${r.repairs.map((x) => `${x.field}: ${x.detail}`).join('; ')})`,
      fix: 'add it with evidence add, which writes the normal form and records each repair',
    },
  ];
}
