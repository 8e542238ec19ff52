#!/bin/sh
# Run the whole test suite of sale_chain:
#   1. every test (ModuleTestCase and scenario_*.rst doctests) on SQLite;
#   2. the same on a throwaway PostgreSQL cluster this script starts and
#      stops itself;
#   3. the browser test: the sao web client in headless Chromium on a
#      seeded database.
# Where PostgreSQL or Chromium is missing, the part is skipped with a plain
# message; with CI=true every part is required.
#
# Environment: VENV (default .venv), BACKENDS (default "sqlite postgresql
# browser"), PYTEST_ARGS (extra pytest arguments, e.g. "-k chain").
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
PY=$VENV/bin/python
VAR=$ROOT/var/test
BACKENDS=${BACKENDS:-sqlite postgresql browser}
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
    report/*.fodt locale/*.po 2>/dev/null | sha256sum | cut -c1-16)

# Scenario count: pytest must collect one test per scenario file
expected_scenarios() {
    n=0
    for rst in "$ROOT"/tests/scenario_*.rst; do
        json="${rst%.rst}.json"
        if [ -f "$json" ]; then
            k=$("$PY" -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$json")
        else
            k=1
        fi
        n=$((n + k))
    done
    echo $n
}

check_scenario_count() {
    expected=$(expected_scenarios)
    collected=$(cd "$ROOT" && "$PY" -m pytest -p no:cacheprovider \
        --collect-only -q tests/test_scenario.py 2>/dev/null \
        | grep -c '::test_scenario_' || true)
    echo "scenarios: $collected collected by pytest, $expected scenario files"
    if [ "$collected" -ne "$expected" ]; then
        echo "ERROR: pytest collects $collected scenarios for $expected files" >&2
        exit 1
    fi
}

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

run_sqlite() {
    cache="$VAR/cache-sqlite-$SOURCES_HASH"
    # Old caches are of other sources
    for old in "$VAR"/cache-sqlite-*; do
        [ "$old" = "$cache" ] || rm -rf "$old"
    done
    mkdir -p "$cache"
    TRYTOND_DATABASE_URI=sqlite:// DB_NAME=:memory: DB_CACHE="$cache" \
        run_pytest sqlite tests
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
        run_pytest postgresql tests
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

check_scenario_count
for backend in $BACKENDS; do
    rm -f "$VAR/pytest-$backend.log"
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
for backend in backends:
    path = os.path.join(var, 'pytest-%s.log' % backend)
    if not os.path.exists(path):
        print('%s: not run' % backend)
        continue
    with open(path) as fp:
        lines = [l for l in fp.read().splitlines() if l.strip()]
    last = lines[-1] if lines else ''
    counts = dict.fromkeys(keys, 0)
    # "30 passed, 1 warning, 9872 subtests passed in 135.43s": subtests
    # are checks inside the tests, not tests
    for number, word in re.findall(
            r'(?<!subtests )(\d+) (passed|failed|errors?|skipped)\b',
            re.sub(r'\d+ subtests \w+', '', last)):
        word = 'failed' if word.startswith('error') else word
        counts[word] += int(number)
    print('%s: %d passed, %d failed, %d skipped' % (
            backend, counts['passed'], counts['failed'], counts['skipped']))
    for key in keys:
        totals[key] += counts[key]
print('%d passed, %d failed' % (totals['passed'], totals['failed']))
PYEOF

if [ -n "$FAILED" ]; then
    exit 1
fi
