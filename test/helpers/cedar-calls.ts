/**
 * Run by policy-cedar.test.ts in a Node started with `--deopt-every-n-times`: many decisions that reach the Cedar
 * engine (a policy with an extension function, so that the compiled path cannot answer), with new requests, so
 * that the engine's memory grows during calls while V8 deoptimizes often. Exits 0 after printing `ok <count>`.
 */
import { parseConfig } from '../../src/core/config.ts';
import { decidePolicies } from '../../src/engine/repo/policies.ts';

const r = parseConfig({
  policies: {
    sources: {
      'net.cedar': `@id("no-internal")
forbid (principal, action, resource is Autopilot::ToolCall)
when { ip("10.0.0.1").isInRange(ip("10.0.0.0/8")) && resource.paths.contains("/etc/passwd") };
`,
    },
  },
});
if (!r.ok) throw new Error(r.error.message);
const n = Number(process.argv[2] ?? 3000);
let denied = 0;
for (let i = 0; i < n; i++) {
  const d = decidePolicies(r.value, {
    actor: { id: 'agent:a', kind: 'agent' },
    tool: 'Bash',
    client: 'claude',
    classification: {
      capabilities: ['read'],
      unknown: false,
      paths: [`/tmp/${i}/${'x'.repeat(i % 300)}`, ...(i % 3 === 0 ? ['/etc/passwd'] : [])],
    },
    phase: i % 2 ? 'SPEC' : 'IMPLEMENT',
    taskId: 'T-1',
  });
  if (d.enforced.verdict === 'deny') denied++;
}
process.stdout.write(`ok ${n} ${denied}\n`);
