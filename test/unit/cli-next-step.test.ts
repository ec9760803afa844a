/**
 * @module Unit: the command line's next step after an engine refusal. The engine's messages name no command; the CLI
 * appends its own (MCP names its tools instead, see mcp-refusals).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, type Refusal } from '../../src/core/errors.ts';
import { withCliNextStep } from '../../src/surfaces/cli/next-step.ts';

const refusal = (code: ErrorCode, message: string, details: Record<string, unknown>): Refusal => ({
  code,
  message,
  details,
});

describe("the command line's next step", () => {
  it('names the commands to run for a missing lease, an existing task and a move back', () => {
    const cases: [Refusal, string][] = [
      [
        refusal(ErrorCode.LEASE_REQUIRED, 'no live lease on task T-1', { taskId: 'T-1', phase: 'SPEC', holder: 'a' }),
        'no live lease on task T-1; take it with: autopilot lease acquire T-1 --holder a',
      ],
      [
        refusal(ErrorCode.TASK_EXISTS, 'task T-1 already exists (active, in SPEC); pick another id', {
          taskId: 'T-1',
          phase: 'SPEC',
        }),
        'task T-1 already exists (active, in SPEC); pick another id; see it with: autopilot task status T-1',
      ],
      [
        refusal(ErrorCode.PHASE_SKIP, 'advance only moves forward; to go back from PLAN to SPEC, backtrack', {
          taskId: 'T-1',
          from: 'PLAN',
          to: 'SPEC',
          next: 'THINK',
          back: true,
        }),
        'advance only moves forward; to go back from PLAN to SPEC, backtrack; use: autopilot backtrack T-1 --to SPEC --reason "…"',
      ],
    ];
    for (const [r, message] of cases) assert.equal(withCliNextStep(r, 'advance').message, message);
  });

  it("turns a refusal's remedy into its commands, in order, for the task it names", () => {
    const cases: [Refusal, string][] = [
      [
        refusal(ErrorCode.VERIFY_FAILED, 'verify failed: 2 of 5 tests failed. Fix it in IMPLEMENT: backtrack to it', {
          taskId: 'T-1',
          remedy: { backtrackTo: 'IMPLEMENT' },
        }),
        'verify failed: 2 of 5 tests failed. Fix it in IMPLEMENT: backtrack to it; go back with: autopilot backtrack T-1 --to IMPLEMENT --reason "…"',
      ],
      [
        refusal(ErrorCode.VERIFY_FAILED, 'verify failed: the test command could not start\ntest said:\nnot found', {
          taskId: 'T-1',
          remedy: { retry: 'verify' },
        }),
        'verify failed: the test command could not start\ntest said:\nnot found\nNext: once it is fixed: autopilot verify T-1',
      ],
      [
        refusal(ErrorCode.EVIDENCE_INVALID, 'REVIEW evidence for T-1 does not pass: x', {
          taskId: 'T-1',
          remedy: { check: true, retry: 'advance' },
        }),
        'REVIEW evidence for T-1 does not pass: x; once it is fixed: autopilot advance T-1; check every finding with: autopilot evidence check T-1',
      ],
      [
        refusal(ErrorCode.APPROVAL_REQUIRED, 'entering PR needs a person', {
          taskId: 'T-1',
          remedy: { person: 'dashboard' },
        }),
        "entering PR needs a person; a person decides in the dashboard's approval panel: autopilot serve",
      ],
      [
        refusal(ErrorCode.PROMPT_DRIFT, 'the instructions changed', { taskId: 'T-1', remedy: { person: 'attest' } }),
        'the instructions changed; a person records the change with: autopilot attest update --reason "…" --tag TAG',
      ],
      [
        refusal(ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE, 'no active task: judged as in STRATEGIZE; start a task first', {
          unattached: 'no-task',
        }),
        'no active task: judged as in STRATEGIZE; start a task first; start one with: autopilot task start T-1 --title "…"',
      ],
      [
        refusal(ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA, 'REVIEW runs with the reviewer persona', {
          taskId: 'T-1',
          phase: 'REVIEW',
          tool: 'Edit',
          persona: { id: 'reviewer', version: '1.1.0' },
        }),
        "REVIEW runs with the reviewer persona; check a call before making it with: autopilot policy explain --phase REVIEW --persona reviewer --tool Edit --input '…'; when this phase's work is done: autopilot advance T-1",
      ],
    ];
    for (const [r, message] of cases) assert.equal(withCliNextStep(r, 'advance').message, message);
  });

  it('adds nothing where the code has no step, or the details do not name what the step needs', () => {
    const skip = refusal(ErrorCode.PHASE_SKIP, 'cannot skip from PLAN to VERIFY', { from: 'PLAN', to: 'VERIFY' });
    assert.equal(withCliNextStep(skip, 'advance'), skip);
    const lease = refusal(ErrorCode.LEASE_REQUIRED, 'no live lease', { phase: 'SPEC' });
    assert.equal(withCliNextStep(lease, 'evidence').message, 'no live lease');
    const other = refusal(ErrorCode.EVIDENCE_MISSING, 'strategy.md is missing', { phase: 'STRATEGIZE', findings: [] });
    assert.equal(withCliNextStep(other, 'advance'), other);
    // A reviewer session's refusal names no persona: its way forward is the rubric the message names.
    const reviewer = refusal(ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA, 'this session reviews', { allowed: ['x'] });
    assert.equal(withCliNextStep(reviewer, 'guard'), reviewer);
  });
});
