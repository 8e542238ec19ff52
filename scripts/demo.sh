#!/usr/bin/env bash
# Build and serve the sale_chain demo: virtualenv, sao web client, a SQLite
# database with French demo data.  Called by the Makefile; usable alone:
#
#   scripts/demo.sh venv|sao|db|serve|clean
#
# Settings (environment, with the Makefile's defaults):
#   VENV, PYTHON, SAO_DIR, SAO_VERSION, DEMO_DIR, DEMO_DB, DEMO_HOST,
#   DEMO_PORT, DEMO_PASSWORD, DEMO_EMAIL, DEMO_REGISTRY_PORT (the fake
#   public registries on 127.0.0.1, default DEMO_PORT + 92),
#   DEMO_PLATFORM_PORT (the local e-invoicing platform on 127.0.0.1,
#   default DEMO_PORT + 93)
set -euo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$ROOT/.venv}
SAO_VERSION=${SAO_VERSION:-8.0}
SAO_DIR=${SAO_DIR:-$ROOT/var/sao}
DEMO_DIR=${DEMO_DIR:-$ROOT/var/demo}
DEMO_DB=${DEMO_DB:-demo}
DEMO_HOST=${DEMO_HOST:-127.0.0.1}
DEMO_PORT=${DEMO_PORT:-8000}
DEMO_PASSWORD=${DEMO_PASSWORD:-admin-demo}
DEMO_EMAIL=${DEMO_EMAIL:-admin@example.com}
DEMO_REGISTRY_PORT=${DEMO_REGISTRY_PORT:-$((DEMO_PORT + 92))}
REGISTRY_URL=http://127.0.0.1:$DEMO_REGISTRY_PORT
DEMO_PLATFORM_PORT=${DEMO_PLATFORM_PORT:-$((DEMO_PORT + 93))}
PLATFORM_URL=http://127.0.0.1:$DEMO_PLATFORM_PORT

# Relative paths are taken from the current directory
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
VENV=$(absolute "$VENV")
SAO_DIR=$(absolute "$SAO_DIR")
DEMO_DIR=$(absolute "$DEMO_DIR")

CONF=$DEMO_DIR/trytond.conf
PASSFILE=$DEMO_DIR/admin.pass
DB_FILE=$DEMO_DIR/$DEMO_DB.sqlite
SEEDED=$DEMO_DIR/.seeded
# The flows and webhooks of the local platform, from the build to the serve
PLATFORM_STATE=$DEMO_DIR/platform.state

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# Print the first module file changed since the database was built: a
# change there needs a module update of the database
module_changed() {
    local f
    for f in "$ROOT"/tryton.cfg "$ROOT"/*.py "$ROOT"/*.xml "$ROOT"/view/*.xml \
            "$ROOT"/locale/*.po "$ROOT"/report/*.html "$ROOT"/report/*.css; do
        if [ -f "$f" ] && [ "$f" -nt "$SEEDED" ]; then
            echo "${f#"$ROOT"/}"
            return 0
        fi
    done
}

venv() {
    local stamp=$VENV/.sale_chain-installed key
    key=$(cd "$ROOT" && cat setup.py tryton.cfg | sha256sum | cut -d' ' -f1)
    if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] \
            && [ "$(cat "$stamp")" = "$key" ]; then
        return
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating the virtualenv $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    say "installing sale_chain (editable) and its dependencies"
    (cd "$ROOT" && "$VENV/bin/python" -m pip install -qq \
        -e '.[test]' 'psycopg[binary,pool]')
    echo "$key" > "$stamp"
}

sao() {
    if [ -f "$SAO_DIR/.installed" ]; then
        return
    fi
    command -v npm >/dev/null || die "npm is required to fetch sao"
    say "fetching the sao web client (tryton-sao@~$SAO_VERSION.0)"
    local tmp
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    (cd "$tmp" && npm pack --silent "tryton-sao@~$SAO_VERSION.0" >/dev/null \
        && tar xzf tryton-sao-*.tgz)
    rm -rf "$SAO_DIR"
    mkdir -p "$(dirname "$SAO_DIR")"
    mv "$tmp/package" "$SAO_DIR"
    say "installing the sao dependencies (npm)"
    (cd "$SAO_DIR" && npm install --omit=dev --legacy-peer-deps --no-audit \
        --no-fund --loglevel=error >/dev/null)
    : > "$SAO_DIR/custom.js"
    : > "$SAO_DIR/custom.css"
    node -p "require('$SAO_DIR/package.json').version" > "$SAO_DIR/.installed"
}

# The fake public registries (tests/registry_server.py) on the loopback:
# the demo's customers are looked up with no internet
REGISTRY_PID=
start_registry() {
    "$VENV/bin/python" "$ROOT/tests/registry_server.py" --unknown-active \
        --port "$DEMO_REGISTRY_PORT" >"$DEMO_DIR/registry.log" 2>&1 &
    REGISTRY_PID=$!
    local i
    for i in $(seq 50); do
        if "$VENV/bin/python" -c "import urllib.request as u; \
u.urlopen('$REGISTRY_URL/_stats', timeout=1)" 2>/dev/null; then
            say "fake registries on $REGISTRY_URL"
            return
        fi
        kill -0 "$REGISTRY_PID" 2>/dev/null || break
        sleep 0.2
    done
    die "the fake registries did not start, see $DEMO_DIR/registry.log"
}
stop_registry() {
    if [ -n "$REGISTRY_PID" ]; then
        kill "$REGISTRY_PID" 2>/dev/null || true
        wait "$REGISTRY_PID" 2>/dev/null || true
        REGISTRY_PID=
    fi
}

# The local e-invoicing platform (tests/platform_server.py) on the
# loopback: the invoices are sent to it, it answers déposée then plays a
# lifecycle (mise à disposition, refusée, approuvée, paiement transmis)
# and calls trytond back (webhook) at each status
PLATFORM_PID=
start_platform() {
    "$VENV/bin/python" "$ROOT/scripts/platform_server.py" \
        --port "$DEMO_PLATFORM_PORT" --state "$PLATFORM_STATE" "$@" \
        >>"$DEMO_DIR/platform.log" 2>&1 &
    PLATFORM_PID=$!
    local i
    for i in $(seq 100); do
        if "$VENV/bin/python" -c "import urllib.request as u; \
u.urlopen('$PLATFORM_URL/v1/healthcheck', timeout=1)" 2>/dev/null; then
            say "local e-invoicing platform on $PLATFORM_URL"
            return
        fi
        kill -0 "$PLATFORM_PID" 2>/dev/null || break
        sleep 0.2
    done
    die "the local platform did not start, see $DEMO_DIR/platform.log"
}
stop_platform() {
    if [ -n "$PLATFORM_PID" ]; then
        # SIGTERM: the platform writes its state file as it stops
        kill "$PLATFORM_PID" 2>/dev/null || true
        wait "$PLATFORM_PID" 2>/dev/null || true
        PLATFORM_PID=
    fi
}
stop_services() {
    stop_platform
    stop_registry
}

write_config() {
    mkdir -p "$DEMO_DIR"
    cat > "$CONF" <<EOF
# Generated by scripts/demo.sh — rewritten on every run
[database]
uri = sqlite://
path = $DEMO_DIR

[web]
listen = $DEMO_HOST:$DEMO_PORT
root = $SAO_DIR
EOF
    printf '%s\n' "$DEMO_PASSWORD" > "$PASSFILE"
    chmod 600 "$PASSFILE"
}

db() {
    write_config
    if [ -f "$SEEDED" ] && [ -f "$DB_FILE" ]; then
        local changed
        changed=$(module_changed)
        if [ -n "$changed" ]; then
            say "$changed changed since the last build: updating sale_chain"
            TRYTONPASSFILE=$PASSFILE "$VENV/bin/trytond-admin" -c "$CONF" \
                -d "$DEMO_DB" -u sale_chain --activate-dependencies
            touch "$SEEDED"
        else
            say "reusing the demo database $DB_FILE (make demo-reset rebuilds it)"
        fi
        return
    fi
    # No database, or one whose build did not finish: start again
    rm -f "$DB_FILE" "$SEEDED"
    local start=$SECONDS
    say "creating the database $DB_FILE (modules sale_chain, account_fr, sale_complaint)"
    touch "$DB_FILE"
    TRYTONPASSFILE=$PASSFILE "$VENV/bin/trytond-admin" -c "$CONF" \
        -d "$DEMO_DB" -u sale_chain account_fr sale_complaint -l fr --all \
        --activate-dependencies --email "$DEMO_EMAIL"
    say "loading the French demo data"
    rm -f "$PLATFORM_STATE"
    start_registry
    trap stop_services EXIT
    # The lifecycle is played while the demo is served, to be seen in sao
    start_platform --no-lifecycle
    DEMO_REGISTRY_URL=$REGISTRY_URL DEMO_PLATFORM_URL=$PLATFORM_URL \
        DEMO_TRYTON_URL=http://$DEMO_HOST:$DEMO_PORT \
        "$VENV/bin/python" "$ROOT/demo/seed.py" -c "$CONF" -d "$DEMO_DB"
    stop_services
    trap - EXIT
    date -Iseconds > "$SEEDED"
    say "demo database ready in $((SECONDS - start)) s"
}

serve() {
    [ -f "$SEEDED" ] || die "no demo database in $DEMO_DIR: run 'make demo-db'"
    [ -f "$SAO_DIR/.installed" ] || die "no sao in $SAO_DIR: run 'make sao'"
    write_config
    cat <<EOF

  Tryton sale_chain demo — http://$DEMO_HOST:$DEMO_PORT/
    registries: $REGISTRY_URL (fake, local)
    platform : $PLATFORM_URL (local PA, log $DEMO_DIR/platform.log)
    database : $DEMO_DB
    login    : admin
    password : $DEMO_PASSWORD
  (Ctrl-C stops the server; 'make demo-reset' rebuilds the database)

EOF
    start_registry
    trap stop_services EXIT
    start_platform
    trap 'exit 130' INT TERM
    # TRYTOND_DATABASE_NAMES preloads the pool: trytond 8.0.12 otherwise
    # refuses every login on a freshly started server
    TRYTOND_DATABASE_NAMES=$DEMO_DB "$VENV/bin/trytond" -c "$CONF"
}

clean() {
    say "deleting the demo database in $DEMO_DIR"
    # Only the files the build makes, in case DEMO_DIR points to a shared place
    rm -f "$SEEDED" "$DB_FILE" "$CONF" "$PASSFILE" "$DEMO_DIR/registry.log" \
        "$PLATFORM_STATE" "$DEMO_DIR/platform.log"
    rmdir "$DEMO_DIR" 2>/dev/null || true
}

case "${1:-}" in
    venv|sao|db|serve|clean) "$1" ;;
    *) die "usage: $0 venv|sao|db|serve|clean" ;;
esac
