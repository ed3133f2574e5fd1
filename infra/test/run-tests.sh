#!/usr/bin/env bash
# Runs Ballast's tests with node's test runner on the compiled output (make builds first).
#   unit: pure tests (*.test.js)            int: *.int.test.js (each starts its own redis-server; libvirt test driver)
#   e2e:  lab tests (*.e2e.test.js, test/e2e) — brings the lab up first (idempotent)
#   all:  lint + unit + int + e2e
# Prints one closing line "tests: N passed, N failed, N skipped" over every part.
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-all}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

files() { # $1: regex of the file name
  find packages services test bench -path '*/node_modules' -prune -o -path '*/dist/*' -type f -print 2>/dev/null \
    | grep -E "$1" | sort
}

run_part() { # name, concurrency, files...
  local name=$1 conc=$2; shift 2
  [ $# -gt 0 ] || { echo "== $name: no test files"; return 0; }
  echo "== $name tests ($# files)"
  node --test --test-concurrency="$conc" --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter="$PWD/infra/test/failures-reporter.mjs" --test-reporter-destination="$out/$name.sum" "$@"
  local rc=$?
  echo "== $name: exit $rc"
  return $rc
}

rc=0
if [[ $mode == all ]]; then
  # ESLint keeps packages/domain free of I/O libraries and the tree free of import cycles; buf breaking keeps
  # the proto contracts compatible with main.
  echo "== lint (eslint, buf breaking)"
  if npx --no-install eslint . && bash infra/setup/buf-breaking.sh; then echo "== lint: ok"; else echo "== lint: FAILED"; rc=1; fi
fi
if [[ $mode == unit || $mode == all ]]; then
  mapfile -t f < <(files '\.test\.js$' | grep -vE '\.(int|e2e)\.test\.js$' | grep -vE '(^|/)test/e2e/')
  run_part unit 2 "${f[@]}" || rc=1
fi
if [[ $mode == int || $mode == all ]]; then
  mapfile -t f < <(files '\.int\.test\.js$')
  run_part int 1 "${f[@]}" || rc=1
fi
if [[ $mode == e2e || $mode == all ]]; then
  if bash infra/lab/lab-up.sh; then
    export BALLAST_LAB=1 BALLAST_LAB_URI=${BALLAST_LAB_URI:-qemu:///system}
    # host2, a second libvirt host (infra/lab/host2-up.sh), for the binding's migration test in
    # packages/libvirt (there with the destination's URIs, back with the root host's). Tests that use
    # host2 themselves (test/e2e: migration, run-local) find it up and leave it up; it goes down at the
    # end unless it was up before.
    host2_was_up=1
    if [ "$BALLAST_LAB_URI" = qemu:///system ]; then
      if host2_env=$(bash infra/lab/host2-up.sh); then
        eval "$host2_env"
        host2_was_up=$HOST2_WAS_UP
        export BALLAST_LAB_DEST_URI=$HOST2_MIGRATION_URI BALLAST_LAB_MIGRATE_URI=$HOST2_MIGRATION_DATA_URI \
          BALLAST_LAB_BACK_URI=$HOST1_MIGRATION_URI BALLAST_LAB_BACK_MIGRATE_URI=$HOST1_MIGRATION_DATA_URI
      else
        echo "== e2e: host2 did not come up (see above): the binding's migration test is skipped"; rc=1
      fi
    fi
    # the dashboard's lab tests last: they drive a browser next to the guests and migrate one to host2 and back,
    # and the memory and CPU scenarios measure guests that nothing else disturbs. A run of their own: node's test
    # runner sorts the files it is given, so their place in one list would not hold.
    mapfile -t f < <(files '(\.e2e\.test\.js$|(^|/)test/e2e/dist/.*\.test\.js$)' | grep -v '\.int\.test\.js$' | grep -v '/dashboard')
    mapfile -t d < <(files '(^|/)test/e2e/dist/dashboard.*\.test\.js$')
    run_part e2e 1 "${f[@]}" || rc=1
    run_part e2e-dashboard 1 "${d[@]}" || rc=1
    if [ "$host2_was_up" = 0 ]; then
      bash infra/lab/host2-down.sh || { echo "== e2e: host2-down failed (see above)"; rc=1; }
    fi
  else
    echo "== e2e: the lab did not come up (see above)"; rc=1
  fi
fi

pass=0; fail=0; skip=0
for t in "$out"/*.sum; do
  [ -f "$t" ] || continue
  p=$(grep -E '^# pass ' "$t" | tail -1 | awk '{print $3}'); f=$(grep -E '^# fail ' "$t" | tail -1 | awk '{print $3}')
  s=$(grep -E '^# skipped ' "$t" | tail -1 | awk '{print $3}')
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0})); skip=$((skip + ${s:-0}))
done
echo
# why the first tests failed, again at the end (the spec output above has it all, but a long log is read from its end)
fails=()
for n in unit int e2e e2e-dashboard; do grep -q '^✖' "$out/$n.sum" 2>/dev/null && fails+=("$out/$n.sum"); done
if [ ${#fails[@]} -gt 0 ]; then
  echo "failed tests, the first lines of each error (in full above):"
  cat "${fails[@]}" | grep -v '^# ' | awk '/^✖/ { n++ } n <= 6' | head -40
  echo
fi
echo "tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || rc=1
exit $rc
