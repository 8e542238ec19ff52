#!/bin/sh
# Run the whole test suite of sale_chain:
#   1. every test (ModuleTestCase, unit tests and the scenario_*.rst
#      doctests) on SQLite, run by unittest as Tryton runs its own modules;
#   2. the same on a throwaway PostgreSQL cluster this script starts and
#      stops itself;
#   3. the browser test (pytest): the sao web client in headless Chromium
#      on a seeded database.
# Where PostgreSQL or Chromium is missing, the part is skipped with a plain
# message; with CI=true every part is required.
#
# Environment: VENV (default .venv), BACKENDS (default "sqlite postgresql
# browser"), TEST_ARGS (extra unittest arguments, e.g. "-k chain -k
# invoice": the scenarios whose file name matches), PYTEST_ARGS (extra
# pytest arguments of the browser test).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
PY=$VENV/bin/python
VAR=$ROOT/var/test
BACKENDS=${BACKENDS:-sqlite postgresql browser}
TEST_ARGS=${TEST_ARGS:-}
PYTEST_ARGS=${PYTEST_ARGS:-}
CI=${CI:-false}
mkdir -p "$VAR"

say() { printf '\n=== %s\n' "$*"; }
missing() {
    # A missing part fails CI and is a plain skip elsewhere
    if [ "$CI" = true ]; then
        echo "ERROR: $* (required with CI=true)" >&2
        exit 1
    fi
    echo "SKIPPED: $*"
    SKIPPED="$SKIPPED $1"
}
SKIPPED=""

# Tryton keys DB_CACHE by module names only: key it by the module sources
# too, so that a changed module never runs on a stale cached database.
SOURCES_HASH=$(cd "$ROOT" && cat tryton.cfg *.py *.xml view/*.xml \
    report/*.html report/*.css locale/*.po 2>/dev/null \
    | sha256sum | cut -c1-16)

run_pytest() {
    # $1: label, then environment is already exported
    label=$1
    shift
    # PYTEST_ARGS is split as the shell would: -k 'a or b' stays one
    # expression
    eval "set -- \"\$@\" $PYTEST_ARGS"
    say "pytest on $label"
    rc=0
    (cd "$ROOT" && "$PY" -m pytest -p no:cacheprovider -q -rs \
        "$@") >"$VAR/pytest-$label.log" 2>&1 || rc=$?
    cat "$VAR/pytest-$label.log"
    if [ $rc -ne 0 ]; then
        FAILED="$FAILED $label"
    fi
}
FAILED=""

run_unittest() {
    # $1: label, then environment is already exported.  Tryton's own way:
    # the load_tests protocol of each test module of the package
    label=$1
    shift
    # TEST_ARGS is split as the shell would
    eval "set -- \"\$@\" $TEST_ARGS"
    modules=$(cd "$ROOT/tests" && for f in test_*.py; do
        echo "trytond.modules.sale_chain.tests.${f%.py}"; done)
    say "unittest on $label"
    rc=0
    # shellcheck disable=SC2086
    (cd "$ROOT" && "$PY" -m unittest -v $modules "$@") \
        >"$VAR/unittest-$label.log" 2>&1 || rc=$?
    cat "$VAR/unittest-$label.log"
    if [ $rc -ne 0 ]; then
        FAILED="$FAILED $label"
    fi
}

run_sqlite() {
    cache="$VAR/cache-sqlite-$SOURCES_HASH"
    # Old caches are of other sources
    for old in "$VAR"/cache-sqlite-*; do
        [ "$old" = "$cache" ] || rm -rf "$old"
    done
    mkdir -p "$cache"
    TRYTOND_DATABASE_URI=sqlite:// DB_NAME=:memory: DB_CACHE="$cache" \
        run_unittest sqlite
}

pg_bindir() {
    if command -v pg_config >/dev/null 2>&1 \
            && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
        return
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ]; then
            echo "$dir"
            return
        fi
    done
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

run_postgresql() {
    bindir=$(pg_bindir)
    if [ -z "$bindir" ]; then
        missing postgresql "PostgreSQL server (initdb) not found; install postgresql"
        return
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        missing postgresql "running as root without a postgres user"
        return
    fi
    pg="$VAR/pg"
    rm -rf "$pg"
    mkdir -p "$pg"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$pg"
    fi
    port=${PGTEST_PORT:-55432}
    as_postgres "$bindir/initdb" -D "$pg/data" -U postgres -A trust \
        -E UTF8 --locale=C.UTF-8 >"$VAR/initdb.log" 2>&1
    as_postgres "$bindir/pg_ctl" -D "$pg/data" -l "$pg/postgres.log" -w \
        -o "-p $port -k $pg -c listen_addresses=127.0.0.1 -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
    trap 'as_postgres "$bindir/pg_ctl" -D "$pg/data" -m immediate -w stop \
        >/dev/null 2>&1 || true' EXIT
    echo "PostgreSQL $("$bindir/postgres" --version | sed 's/^[^0-9]*\([0-9.]*\).*/\1/') on 127.0.0.1:$port"
    TRYTOND_DATABASE_URI="postgresql://postgres@127.0.0.1:$port/" \
        DB_NAME=test_sale_chain DB_CACHE=postgresql:// \
        run_unittest postgresql
    as_postgres "$bindir/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null
    trap - EXIT
    rm -rf "$pg"
}

chromium_path() {
    for candidate in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser \
            /usr/bin/google-chrome; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then
            echo "$candidate"
            return
        fi
    done
}

run_browser() {
    chromium=$(chromium_path)
    if [ -z "$chromium" ]; then
        missing browser "Chromium not found; install chromium (Debian) or set CHROMIUM"
        return
    fi
    if ! "$PY" -c 'import playwright' 2>/dev/null; then
        missing browser "the playwright Python package is not installed"
        return
    fi
    CHROMIUM=$chromium run_pytest browser browser_tests
}

for backend in $BACKENDS; do
    rm -f "$VAR/pytest-$backend.log" "$VAR/unittest-$backend.log"
done
for backend in $BACKENDS; do
    case $backend in
        sqlite) run_sqlite ;;
        postgresql) run_postgresql ;;
        browser) run_browser ;;
        *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
done

# One closing line over every part, from pytest's own closing lines
say "summary"
if [ -n "$SKIPPED" ]; then
    echo "skipped parts:$SKIPPED"
fi
if [ -n "$FAILED" ]; then
    echo "failed parts:$FAILED"
fi
"$PY" - "$VAR" $BACKENDS <<'PYEOF'
import os
import re
import sys

var, backends = sys.argv[1], sys.argv[2:]
keys = ['passed', 'failed', 'skipped']
totals = dict.fromkeys(keys, 0)


def pytest_counts(lines):
    # "30 passed, 1 warning, 9872 subtests passed in 135.43s": subtests
    # are checks inside the tests, not tests
    counts = dict.fromkeys(keys, 0)
    last = lines[-1] if lines else ''
    for number, word in re.findall(
            r'(?<!subtests )(\d+) (passed|failed|errors?|skipped)\b',
            re.sub(r'\d+ subtests \w+', '', last)):
        word = 'failed' if word.startswith('error') else word
        counts[word] += int(number)
    return counts


def unittest_counts(lines):
    # "Ran 43 tests in 459.6s" then "OK (skipped=1)" or
    # "FAILED (failures=1, errors=2, skipped=1)"
    counts = dict.fromkeys(keys, 0)
    ran = None
    for line in lines:
        match = re.match(r'^Ran (\d+) tests? in ', line)
        if match:
            ran = int(match.group(1))
    if ran is None:
        counts['failed'] = 1
        return counts
    status = lines[-1]
    found = dict(re.findall(r'(\w+)=(\d+)', status))
    counts['failed'] = (int(found.get('failures', 0))
        + int(found.get('errors', 0))
        + int(found.get('unexpected successes', 0)))
    counts['skipped'] = int(found.get('skipped', 0))
    counts['passed'] = ran - counts['failed'] - counts['skipped']
    if not status.startswith('OK') and not counts['failed']:
        counts['failed'] = 1
    return counts


for backend in backends:
    for runner, parse in [
            ('unittest', unittest_counts), ('pytest', pytest_counts)]:
        path = os.path.join(var, '%s-%s.log' % (runner, backend))
        if os.path.exists(path):
            break
    else:
        print('%s: not run' % backend)
        continue
    with open(path) as fp:
        lines = [l for l in fp.read().splitlines() if l.strip()]
    counts = parse(lines)
    print('%s: %d passed, %d failed, %d skipped' % (
            backend, counts['passed'], counts['failed'], counts['skipped']))
    for key in keys:
        totals[key] += counts[key]
print('%d passed, %d failed' % (totals['passed'], totals['failed']))
PYEOF

if [ -n "$FAILED" ]; then
    exit 1
fi
