#!/usr/bin/env bash
# Every check: types, lint (incl. the import-graph rules), then every test file.
# TEST_FILTER=conformance runs only the test files whose path contains the word.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob
if [[ -z "${TEST_FILTER:-}" ]]; then
  echo "== typecheck"; npx tsc -p tsconfig.json --noEmit
  npx tsc -p tsconfig.browser.json # the dashboard's browser script, against the DOM library
  # One command a line: under `set -e` a failure inside an `a && b` list would not stop the script.
  echo "== lint"
  npx prettier --check .
  npx eslint .
  npx depcruise src --config .dependency-cruiser.cjs
fi
files=()
for f in test/**/*.test.ts; do
  [[ -z "${TEST_FILTER:-}" || "$f" == *"$TEST_FILTER"* ]] && files+=("$f")
done
echo "== tests (${#files[@]} files)"
# Two files at a time: most of a file's time is spent waiting on the processes it starts (git, the CLI, servers,
# sandboxes), so a second file uses what the first leaves idle; each file keeps its own state and temporary folders.
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-reporter=spec "${files[@]}"
