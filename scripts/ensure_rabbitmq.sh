#!/usr/bin/env bash
# Make sure a RabbitMQ broker answers on 127.0.0.1:5672 (guest/guest) with the management
# plugin's HTTP API on 15672 (the tests make a fresh vhost per test through it).
#
#   - not installed       -> apt-get install rabbitmq-server (sudo only when not root)
#   - installed, stopped  -> rabbitmq-server -detached, wait for port 5672 (90 s at most)
#   - management disabled -> rabbitmq-plugins enable rabbitmq_management, wait for its API
#
# If AMQP_URI names a host other than this machine, only checks that it is reachable.
# Idempotent; takes a fraction of a second when everything is already up.
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin"
TIMEOUT=${RABBITMQ_START_TIMEOUT:-90}
MGMT_PORT=${RABBITMQ_MANAGEMENT_PORT:-15672}
MGMT_URL="http://127.0.0.1:${MGMT_PORT}/api/overview"

say() { echo "RabbitMQ: $*"; }
fail() { echo "RabbitMQ: ERROR: $*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi

# host and port of AMQP_URI (amqp://user:pass@host:port/vhost)
uri=${AMQP_URI:-amqp://guest:guest@localhost:5672/}
hostport=${uri#*://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
hostport=${hostport%%\?*}
if [[ $hostport == \[*\]* ]]; then          # [::1]:5672
    host=${hostport%%]*}; host=${host#[}
    port=${hostport##*]}; port=${port#:}
else
    host=${hostport%%:*}
    port=${hostport#"$host"}; port=${port#:}
fi
host=${host:-localhost}
port=${port:-5672}

port_open() {  # host port
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

amqp_answers() {  # host port: something there speaks AMQP 0-9-1 (sends Connection.Start)
    timeout 3 bash -c 'exec 3<>/dev/tcp/$0/$1 && printf "AMQP\0\0\x09\x01" >&3 &&
        head -c 1 <&3 | od -An -tx1' "$1" "$2" 2>/dev/null | grep -q 01
}

case "$host" in
    localhost|127.0.0.1|::1|"$(hostname 2>/dev/null || echo localhost)") ;;
    *)
        if amqp_answers "$host" "$port"; then
            say "remote broker $host:$port answers AMQP (AMQP_URI points elsewhere: not managing it)"
            exit 0
        fi
        fail "remote broker $host:$port (from AMQP_URI) does not answer AMQP"
        ;;
esac

mgmt_status() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 -u guest:guest "$MGMT_URL" 2>/dev/null || true
}

show_log() {
    local log
    log=$(ls -t /var/log/rabbitmq/*.log 2>/dev/null | grep -v upgrade | head -1 || true)
    if [ -n "$log" ]; then
        echo "--- last lines of $log ---" >&2
        tail -n 20 "$log" >&2 || true
    fi
}

# Fast path: broker and management API both answer.
if port_open 127.0.0.1 "$port" && [ "$(mgmt_status)" = 200 ]; then
    say "already running on 127.0.0.1:$port, management API answering on $MGMT_PORT"
    exit 0
fi

# 1. installed?
if ! command -v rabbitmq-server >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 \
        || fail "rabbitmq-server is not installed and there is no apt-get here; install RabbitMQ yourself"
    say "not installed; installing rabbitmq-server from Debian packages (apt-get)..."
    export DEBIAN_FRONTEND=noninteractive
    apt_log=$(mktemp)
    if ! { "${SUDO[@]}" apt-get update -q && "${SUDO[@]}" apt-get install -y -q \
            --no-install-recommends rabbitmq-server; } >"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        fail "apt-get install rabbitmq-server failed (full output: $apt_log)"
    fi
    rm -f "$apt_log"
    say "installed from Debian packages ($(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo '?'))"
fi

# 2. running?
if port_open 127.0.0.1 "$port"; then
    say "already running on 127.0.0.1:$port"
else
    say "not answering on 127.0.0.1:$port; starting it (rabbitmq-server -detached)..."
    # Fails harmlessly ("node already running") when it is still booting.
    "${SUDO[@]}" rabbitmq-server -detached >/dev/null 2>&1 || true
    deadline=$((SECONDS + TIMEOUT))
    until port_open 127.0.0.1 "$port"; do
        if [ $SECONDS -ge $deadline ]; then
            show_log
            fail "did not answer on 127.0.0.1:$port within ${TIMEOUT}s"
        fi
        sleep 1
    done
    say "started (answering on 127.0.0.1:$port)"
fi

# 3. management plugin
status=$(mgmt_status)
if [ "$status" = 200 ]; then
    say "management API answering on $MGMT_PORT"
    exit 0
fi
if out=$("${SUDO[@]}" rabbitmq-plugins enable rabbitmq_management 2>&1); then
    if grep -qi "unchanged" <<<"$out"; then
        say "management plugin already enabled; waiting for its API on $MGMT_PORT..."
    else
        say "management plugin enabled (rabbitmq-plugins enable rabbitmq_management)"
    fi
else
    echo "$out" >&2
    fail "could not enable the management plugin"
fi
deadline=$((SECONDS + TIMEOUT))
while :; do
    status=$(mgmt_status)
    [ "$status" = 200 ] && break
    if [ "$status" = 401 ]; then
        fail "management API on $MGMT_PORT refuses guest/guest (HTTP 401); the tests need the guest user from localhost"
    fi
    if [ $SECONDS -ge $deadline ]; then
        show_log
        fail "management API $MGMT_URL did not answer within ${TIMEOUT}s (last HTTP status: ${status:-none})"
    fi
    sleep 1
done
say "management API answering on $MGMT_PORT"
