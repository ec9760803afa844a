/**
 * Unit: the atlas of generated Python and Go projects of a realistic shape (packages, a src/ layout, relative and
 * absolute imports, test folders, internal and external Go test packages). Impact answers are checked against what
 * the tests load at run time: Python's sys.modules after importing each test module as pytest's rootdir mode does,
 * and `go list -deps -test` for each Go package with tests.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { impactOf, indexAtlas, type AtlasIndex } from '../../src/core/atlas.ts';
import { DEFAULT_SOURCE_GLOBS, DEFAULT_TEST_GLOBS } from '../../src/core/config.ts';
import { buildAtlas } from '../../src/engine/graph/atlas.ts';

const TMP = mkdtempSync(join(tmpdir(), 'autopilot-atlas-langs-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const globs = { sources: DEFAULT_SOURCE_GLOBS, tests: DEFAULT_TEST_GLOBS };

function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  execFileSync('git', ['init', '-q'], { cwd: root });
}

async function atlasOf(root: string): Promise<AtlasIndex> {
  return indexAtlas((await buildAtlas({ root, stateDir: join(root, '.autopilot'), globs })).atlas);
}

/** For each source file, the test files whose run-time loads include it; compared with the atlas's answer. */
function checkImpact(
  index: AtlasIndex,
  loads: ReadonlyMap<string, ReadonlySet<string>>,
  isTest: (p: string) => boolean,
) {
  const sources = index.atlas.files.filter((f) => !f.test).map((f) => f.path);
  assert.ok(sources.length >= 6);
  for (const src of sources) {
    const expected = [...loads]
      .filter(([, l]) => l.has(src))
      .map(([t]) => t)
      .sort();
    const got = impactOf(index, [src])
      .tests.map((t) => t.path)
      .filter(isTest)
      .sort();
    assert.deepEqual(got, expected, `the tests that load ${src}`);
  }
  // The check would pass with nothing to compare: some file must be loaded by some test and missed by another.
  assert.ok(sources.some((s) => [...loads.values()].some((l) => l.has(s))));
  assert.ok(sources.some((s) => [...loads.values()].some((l) => !l.has(s))));
}

describe('the atlas of a Python project', () => {
  const root = join(TMP, 'py');
  const tests = ['tests/test_billing.py', 'tests/test_models.py', 'tests/unit/test_reports.py', 'tests/test_cli.py'];
  before(() =>
    writeTree(root, {
      'shop/__init__.py': '"""The shop."""\nVERSION = "1"\n',
      'shop/models.py': 'from dataclasses import dataclass\n\n@dataclass\nclass Item:\n    price: int\n',
      'shop/money.py': 'def cents(x):\n    return int(x * 100)\n',
      'shop/services/__init__.py': 'from .billing import invoice\n',
      'shop/services/billing.py':
        'from ..models import Item\nfrom .. import money\n\ndef invoice(items):\n    return sum(money.cents(i.price) for i in items)\n',
      'shop/services/shipping.py': 'import shop.models as m\n\ndef weight(item: m.Item):\n    return 1\n',
      'shop/cli.py':
        'import sys\nfrom shop.services import shipping\n\ndef main():\n    return shipping.weight(None)\n',
      'src/reports/__init__.py': '',
      'src/reports/summary.py':
        'import json\nfrom reports.format import table\n\ndef summary(rows):\n    return table(rows)\n',
      'src/reports/format.py': 'def table(rows):\n    return "\\n".join(map(str, rows))\n',
      'tests/helpers.py': 'from shop.models import Item\n\ndef item():\n    return Item(1)\n',
      'tests/test_billing.py':
        'from shop.services.billing import invoice\nfrom helpers import item\n\ndef test_invoice():\n    assert invoice([item()]) == 100\n',
      'tests/test_models.py': 'from shop import models\n\ndef test_item():\n    assert models.Item(2).price == 2\n',
      'tests/unit/test_reports.py':
        'from reports.summary import summary\n\ndef test_summary():\n    assert summary([1]) == "1"\n',
      'tests/test_cli.py': 'import shop.cli\n\ndef test_main():\n    assert shop.cli.main() == 1\n',
    }),
  );

  it("lists, for each module, the test files whose run loads it (sys.modules after pytest's import)", async () => {
    const index = await atlasOf(root);
    // Each test module imported in a fresh interpreter, with sys.path as pytest's default (prepend) import mode and a
    // src/ layout set it up: the test file's base folder, the root, src/.
    const script = [
      'import importlib.util, os, sys',
      'root, test = sys.argv[1], sys.argv[2]',
      'sys.path[:0] = [os.path.dirname(os.path.join(root, test)), root, os.path.join(root, "src")]',
      'spec = importlib.util.spec_from_file_location("under_test", os.path.join(root, test))',
      'mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)',
      'for m in list(sys.modules.values()):',
      '    f = getattr(m, "__file__", None)',
      '    if f and os.path.abspath(f).startswith(root + os.sep): print(os.path.relpath(os.path.abspath(f), root))',
    ].join('\n');
    const loads = new Map<string, Set<string>>();
    for (const t of tests) {
      const out = execFileSync('python3', ['-c', script, root, t], { cwd: root, encoding: 'utf8' });
      loads.set(t, new Set(out.split('\n').filter(Boolean)));
    }
    assert.ok(loads.get('tests/test_billing.py')!.has('shop/money.py'), 'the run-time check sees relative imports');
    checkImpact(index, loads, (p) => tests.includes(p));
    // And pytest itself passes on the project: the generated tests are real tests.
    execFileSync('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--rootdir', root, ...tests], {
      cwd: root,
      env: { ...process.env, PYTHONPATH: `${root}:${join(root, 'src')}:${join(root, 'tests')}` },
      stdio: 'pipe',
    });
  });
});

describe('the atlas of a Go module', () => {
  const root = join(TMP, 'go');
  const mod = 'example.com/shop';
  before(() =>
    writeTree(root, {
      'go.mod': `module ${mod}\n\ngo 1.19\n`,
      'internal/money/money.go':
        'package money\n\n// Cents of a price.\nfunc Cents(p float64) int { return int(p * 100) }\n',
      'internal/money/round.go': 'package money\n\nfunc Round(c int) int { return c }\n',
      'internal/money/money_test.go':
        'package money\n\nimport "testing"\n\nfunc TestCents(t *testing.T) {\n\tif Cents(1) != 100 {\n\t\tt.Fatal()\n\t}\n}\n',
      'internal/cart/cart.go': `package cart\n\nimport "${mod}/internal/money"\n\ntype Cart struct{ Items []float64 }\n\nfunc (c Cart) Total() int {\n\tt := 0\n\tfor _, p := range c.Items {\n\t\tt += money.Cents(p)\n\t}\n\treturn t\n}\n`,
      'internal/cart/cart_test.go':
        'package cart\n\nimport "testing"\n\nfunc TestTotal(t *testing.T) {\n\tif (Cart{Items: []float64{1}}).Total() != 100 {\n\t\tt.Fatal()\n\t}\n}\n',
      'pkg/report/report.go': `package report\n\nimport (\n\t"fmt"\n\n\t"${mod}/internal/cart"\n)\n\nfunc Line(c cart.Cart) string { return fmt.Sprint(c.Total()) }\n`,
      'pkg/report/report_test.go': `package report_test\n\nimport (\n\t"testing"\n\n\t"${mod}/internal/cart"\n\t"${mod}/pkg/report"\n)\n\nfunc TestLine(t *testing.T) {\n\tif report.Line(cart.Cart{}) != "0" {\n\t\tt.Fatal()\n\t}\n}\n`,
      'pkg/text/text.go': 'package text\n\nfunc Upper(s string) string { return s }\n',
      'pkg/text/text_test.go':
        'package text\n\nimport "testing"\n\nfunc TestUpper(t *testing.T) {\n\tif Upper("a") != "a" {\n\t\tt.Fatal()\n\t}\n}\n',
      'cmd/shop/main.go': `package main\n\nimport (\n\t"fmt"\n\n\tr "${mod}/pkg/report"\n\t"${mod}/internal/cart"\n)\n\nfunc main() { fmt.Println(r.Line(cart.Cart{})) }\n`,
    }),
  );

  it('lists, for each file, the test files whose test binary links its package (go list -deps -test)', async () => {
    const index = await atlasOf(root);
    const env = { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOCACHE: join(TMP, 'gocache') };
    const loads = new Map<string, Set<string>>();
    const testFiles = index.atlas.files.filter((f) => f.path.endsWith('_test.go')).map((f) => f.path);
    for (const t of testFiles) {
      const dir = `./${dirname(t)}`;
      const out = execFileSync(
        'go',
        ['list', '-deps', '-test', '-f', '{{.ImportPath}}|{{.Dir}}|{{join .GoFiles ","}}', dir],
        {
          cwd: root,
          env,
          encoding: 'utf8',
        },
      );
      const files = new Set<string>();
      for (const line of out.split('\n').filter(Boolean)) {
        const [, d, goFiles] = line.split('|');
        if (!d?.startsWith(`${root}/`)) continue;
        for (const f of goFiles!.split(',').filter(Boolean)) files.add(`${d.slice(root.length + 1)}/${f}`);
      }
      loads.set(t, files);
    }
    assert.ok(loads.get('pkg/report/report_test.go')!.has('internal/money/round.go'));
    checkImpact(index, loads, (p) => p.endsWith('_test.go'));
    execFileSync('go', ['test', './...'], { cwd: root, env, stdio: 'pipe' });
  });
});
