#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 with trust auth for user postgres.
#
#   - not installed      -> apt-get install postgresql (sudo only when not root)
#   - installed, stopped -> pg_ctlcluster --skip-systemctl-redirect <version> main start
#   - no trust from 127.0.0.1 for postgres on a fresh install (or in CI) -> pg_hba.conf
#     gets "trust" lines for loopback at the top, and the server is reloaded
#
# *_DATABASE_URL variables that point at PostgreSQL on another host are only checked for
# reachability; the local server is managed unless every such URL is remote.
# Idempotent; takes a fraction of a second when everything is already up.
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin"
PORT=${POSTGRES_PORT:-5432}
CLUSTER=${POSTGRES_CLUSTER:-main}
TIMEOUT=${POSTGRES_START_TIMEOUT:-90}

say() { echo "PostgreSQL: $*"; }
fail() { echo "PostgreSQL: ERROR: $*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi

is_local() {
    case "$1" in
        ""|localhost|127.0.0.1|::1|"$(hostname 2>/dev/null || echo localhost)") return 0 ;;
        *) return 1 ;;
    esac
}

port_open() {  # host port
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# --- remote databases named by *_DATABASE_URL: check only -------------------------------
need_local=1
remote_seen=0
local_seen=0
while IFS='=' read -r name url; do
    [ -n "$name" ] || continue
    rest=${url#*://}
    rest=${rest##*@}
    hostport=${rest%%/*}
    hostport=${hostport%%\?*}
    if [[ $hostport == \[*\]* ]]; then
        host=${hostport%%]*}; host=${host#[}
        port=${hostport##*]}; port=${port#:}
    else
        host=${hostport%%:*}
        port=${hostport#"$host"}; port=${port#:}
    fi
    port=${port:-5432}
    if is_local "$host"; then
        local_seen=1
        continue
    fi
    remote_seen=1
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -t 5 -h "$host" -p "$port" || fail "$name: $host:$port does not answer (pg_isready)"
    else
        port_open "$host" "$port" || fail "$name: $host:$port is not reachable"
    fi
    say "$name: remote server $host:$port answers (not managing it)"
done < <(env | grep -E '^[A-Z0-9_]*DATABASE_URL=postgres' || true)
if [ $remote_seen = 1 ] && [ $local_seen = 0 ]; then
    need_local=0
fi
[ $need_local = 1 ] || exit 0

# --- the local server -------------------------------------------------------------------
PSQL_ENV=(env -u PGPASSWORD -u PGSERVICE PGPASSFILE=/nonexistent/pgpass PGCONNECT_TIMEOUT=5)

trust_check() {  # prints psql's error, returns its status
    "${PSQL_ENV[@]}" psql -X -w -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atqc 'select 1' 2>&1 >/dev/null
}

# Fast path: up and trusting.
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p "$PORT" \
        && trust_check >/dev/null; then
    say "already running on 127.0.0.1:$PORT (trust auth for postgres)"
    exit 0
fi

fresh=0

# 1. installed?
server_bin() { ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(server_bin)" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 \
        || fail "the PostgreSQL server is not installed and there is no apt-get here; install it yourself"
    say "not installed; installing postgresql from Debian packages (apt-get)..."
    export DEBIAN_FRONTEND=noninteractive
    apt_log=$(mktemp)
    if ! { "${SUDO[@]}" apt-get update -q && "${SUDO[@]}" apt-get install -y -q \
            --no-install-recommends postgresql; } >"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        fail "apt-get install postgresql failed (full output: $apt_log)"
    fi
    rm -f "$apt_log"
    say "installed from Debian packages ($(dpkg-query -W -f='${Version}' postgresql 2>/dev/null || echo '?'))"
    fresh=1
fi

# 2. which cluster: <newest version>/$CLUSTER
version=$(ls -d /etc/postgresql/*/"$CLUSTER" 2>/dev/null | awk -F/ '{print $4}' | sort -V | tail -n 1 || true)
if [ -z "$version" ]; then
    version=$(basename "$(dirname "$(dirname "$(server_bin)")")")
    say "no cluster '$CLUSTER' yet; creating $version/$CLUSTER on port $PORT (pg_createcluster)"
    "${SUDO[@]}" pg_createcluster "$version" "$CLUSTER" --port "$PORT" >/dev/null
    fresh=1
fi
HBA=/etc/postgresql/$version/$CLUSTER/pg_hba.conf
LOG=/var/log/postgresql/postgresql-$version-$CLUSTER.log

# 3. running?
if pg_isready -q -h 127.0.0.1 -p "$PORT"; then
    say "already running on 127.0.0.1:$PORT"
else
    say "not answering on 127.0.0.1:$PORT; starting cluster $version/$CLUSTER (pg_ctlcluster)..."
    "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" "$CLUSTER" start \
        || echo "PostgreSQL: pg_ctlcluster start returned an error; waiting anyway" >&2
    deadline=$((SECONDS + TIMEOUT))
    until pg_isready -q -h 127.0.0.1 -p "$PORT"; do
        if [ $SECONDS -ge $deadline ]; then
            [ -r "$LOG" ] && { echo "--- last lines of $LOG ---" >&2; tail -n 20 "$LOG" >&2; }
            fail "did not answer on 127.0.0.1:$PORT within ${TIMEOUT}s"
        fi
        sleep 1
    done
    say "started (answering on 127.0.0.1:$PORT)"
fi

# 4. trust auth for postgres from loopback
if err=$(trust_check); then
    say "trust auth for user postgres from 127.0.0.1 works"
    exit 0
fi
case "$err" in
    *password*|*"no pg_hba.conf entry"*|*authentication*) ;;
    *) fail "cannot connect as postgres to 127.0.0.1:$PORT: $err" ;;
esac
if [ $fresh = 0 ] && [ "${CI:-}" != true ] && [ "${CLEP_PG_SET_TRUST:-}" != 1 ]; then
    fail "127.0.0.1:$PORT does not trust user postgres ($err).
  The tests expect trust auth on loopback. Put these lines at the top of $HBA and reload:
    host all all 127.0.0.1/32 trust
    host all all ::1/128 trust
  or rerun with CLEP_PG_SET_TRUST=1 to let this script do it."
fi
[ -f "$HBA" ] || fail "no $HBA to configure"
tmp=$(mktemp)
{
    echo "# Added by scripts/ensure_postgres.sh: trust on loopback for local development and tests."
    echo "host    all             all             127.0.0.1/32            trust"
    echo "host    all             all             ::1/128                 trust"
    "${SUDO[@]}" cat "$HBA"
} >"$tmp"
"${SUDO[@]}" sh -c "cat '$tmp' > '$HBA'"   # keeps the file's owner and mode
rm -f "$tmp"
"${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" "$CLUSTER" reload
say "pg_hba.conf set to trust loopback connections ($HBA) and the server reloaded"
deadline=$((SECONDS + 10))
until err=$(trust_check); do
    [ $SECONDS -lt $deadline ] || fail "still no trust auth after the reload: $err"
    sleep 0.5
done
say "trust auth for user postgres from 127.0.0.1 works"
