#!/usr/bin/env bash
# The project's local / test MongoDB wire-protocol server (mongo-java-server, see Launcher.java).
#
#   devdb.sh build                                 build target/devdb.jar if it is missing or stale
#   devdb.sh start [--port P] [--data-dir DIR]     H2-backed server in the background (default
#                                                  127.0.0.1:$DEVDB_PORT or 27017, data in
#                                                  <repo>/.data/devdb); its URI goes to .data/devdb.uri
#   devdb.sh stop                                  stop the background server
#   devdb.sh status                                running / not running (exit 0 / 3)
#   devdb.sh uri                                   the running server's mongodb:// URI (exit 3: none)
#   devdb.sh run-memory [--port P] [ARGS...]       in-memory server in the foreground
#
# Paths are resolved from this script's location, so it runs from anywhere.
# Environment: JAVA (java binary; default $JAVA_HOME/bin/java or java), MVN (default mvn),
# DEVDB_JAVA_OPTS (extra JVM options, e.g. -Xmx2g), DEVDB_PORT (the port `start` uses by default).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd -P)"
JAR="$SCRIPT_DIR/target/devdb.jar"
STATE_DIR="$REPO_ROOT/.data"
PID_FILE="$STATE_DIR/devdb.pid"
LOG_FILE="$STATE_DIR/devdb.log"
URI_FILE="$STATE_DIR/devdb.uri" # mongodb://host:port of the background server while it runs
RUN_JAR="$STATE_DIR/devdb.jar" # the copy that the background server runs
DEFAULT_DATA_DIR="$STATE_DIR/devdb"
DEFAULT_PORT="${DEVDB_PORT:-27017}"
HOST=127.0.0.1
START_TIMEOUT=60
STOP_TIMEOUT=10

if [[ -n "${JAVA:-}" ]]; then
    JAVA_BIN="$JAVA"
elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA_BIN="$JAVA_HOME/bin/java"
else
    JAVA_BIN=java
fi
MVN_BIN="${MVN:-mvn}"
read -r -a JAVA_OPTS <<<"${DEVDB_JAVA_OPTS:-}"

die() {
    echo "devdb: $*" >&2
    exit 1
}

usage() {
    sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

need_value() { # option, remaining-arg-count
    [[ $2 -ge 2 ]] || die "$1 needs a value"
}

check_port() {
    [[ "$1" =~ ^[0-9]+$ ]] && ((10#$1 <= 65535)) || die "invalid port '$1'"
}

# --- build -------------------------------------------------------------------------------------

jar_is_stale() {
    [[ -f "$JAR" ]] || return 0
    [[ -n "$(find "$SCRIPT_DIR/pom.xml" "$SCRIPT_DIR/src" -newer "$JAR" -print -quit 2>/dev/null)" ]]
}

cmd_build() {
    [[ $# -eq 0 ]] || die "build takes no arguments"
    if jar_is_stale; then
        command -v "$MVN_BIN" >/dev/null 2>&1 || die "maven ('$MVN_BIN') not found; it is needed to build $JAR"
        echo "devdb: building $JAR" >&2
        # (sed: Debian's maven 3.8 prints stray colour codes even with -q -B)
        "$MVN_BIN" -q -B -f "$SCRIPT_DIR/pom.xml" package 2>&1 | sed -e $'s/\x1b\\[[0-9;]*m//g' >&2 \
            || die "build failed"
        [[ -f "$JAR" ]] || die "build did not produce $JAR"
        touch "$JAR" # newer than every input, even when maven found nothing to do
    fi
}

# --- pid file helpers --------------------------------------------------------------------------

# True while the process exists and has not exited (a zombie awaiting its reaper counts as gone).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
    stat="${stat##*) }"
    [[ "${stat:0:1}" != Z ]]
}

# Prints the pid from the pid file when that process is alive and is a devdb server.
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    [[ -n "$pid" ]] || return 1
    alive "$pid" || return 1
    # guard against a recycled pid: the process must be our jar
    if [[ -r "/proc/$pid/cmdline" ]]; then
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'devdb\.jar' || return 1
    fi
    echo "$pid"
}

last_address() {
    [[ -f "$LOG_FILE" ]] || return 0
    grep -a '^READY ' "$LOG_FILE" | tail -n 1 | sed 's/^READY //'
}

# --- start / stop / status ---------------------------------------------------------------------

cmd_start() {
    local port="$DEFAULT_PORT" data_dir="$DEFAULT_DATA_DIR"
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --port) need_value "$1" $#; port="$2"; shift 2 ;;
            --port=*) port="${1#*=}"; shift ;;
            --data-dir) need_value "$1" $#; data_dir="$2"; shift 2 ;;
            --data-dir=*) data_dir="${1#*=}"; shift ;;
            *) die "start: unknown argument '$1' (usage: start [--port P] [--data-dir DIR])" ;;
        esac
    done
    check_port "$port"
    [[ -n "$data_dir" ]] || die "--data-dir must not be empty"

    local pid
    if pid="$(running_pid)"; then
        echo "devdb: already running on $(last_address) (pid $pid)"
        return 0
    fi
    rm -f "$PID_FILE" "$URI_FILE"
    # Something else (a MongoDB of your own?) holds the port: say so instead of a Java stack trace.
    if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
        die "$HOST:$port is already in use; start on another port (make run DEVDB_PORT=27018), or use that database (MONGODB_URI=mongodb://$HOST:$port make run)"
    fi

    cmd_build
    mkdir -p "$STATE_DIR" "$data_dir"
    data_dir="$(cd "$data_dir" && pwd -P)"
    # run a private copy, so that a later rebuild of target/devdb.jar (make test) cannot pull the
    # jar from under the running server; mv keeps the swap atomic
    cp "$JAR" "$RUN_JAR.tmp.$$"
    mv -f "$RUN_JAR.tmp.$$" "$RUN_JAR"

    # only the part of the log written by this start counts
    local offset=0
    [[ -f "$LOG_FILE" ]] && offset="$(wc -c <"$LOG_FILE")"
    printf '=== %s devdb start --port %s --data-dir %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
        "$port" "$data_dir" >>"$LOG_FILE"

    nohup "$JAVA_BIN" "${JAVA_OPTS[@]}" -jar "$RUN_JAR" --host "$HOST" --port "$port" \
        --data-dir "$data_dir" </dev/null >>"$LOG_FILE" 2>&1 &
    pid=$!
    echo "$pid" >"$PID_FILE"

    local deadline=$((SECONDS + START_TIMEOUT)) ready
    while :; do
        ready="$(tail -c +"$((offset + 1))" "$LOG_FILE" | grep -a -m 1 '^READY ' || true)"
        if [[ -n "$ready" ]]; then
            echo "mongodb://${ready#READY }" >"$URI_FILE"
            echo "devdb: running on ${ready#READY } (pid $pid, data $data_dir, log $LOG_FILE)"
            return 0
        fi
        if ! alive "$pid"; then
            rm -f "$PID_FILE"
            echo "devdb: the server exited before it was ready; end of $LOG_FILE:" >&2
            tail -c +"$((offset + 1))" "$LOG_FILE" | tail -n 20 >&2
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            kill -KILL "$pid" 2>/dev/null || true
            rm -f "$PID_FILE"
            echo "devdb: not ready after ${START_TIMEOUT}s; end of $LOG_FILE:" >&2
            tail -c +"$((offset + 1))" "$LOG_FILE" | tail -n 20 >&2
            exit 1
        fi
        sleep 0.2
    done
}

cmd_stop() {
    [[ $# -eq 0 ]] || die "stop takes no arguments"
    local pid
    if ! pid="$(running_pid)"; then
        if [[ -f "$PID_FILE" ]]; then
            rm -f "$PID_FILE"
            echo "devdb: not running (removed stale pid file)"
        else
            echo "devdb: not running"
        fi
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while alive "$pid" && ((SECONDS < deadline)); do
        sleep 0.1
    done
    if alive "$pid"; then
        echo "devdb: pid $pid still alive after ${STOP_TIMEOUT}s, sending KILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        while alive "$pid"; do sleep 0.1; done
    fi
    rm -f "$PID_FILE" "$URI_FILE"
    echo "devdb: stopped (pid $pid)"
}

cmd_status() {
    [[ $# -eq 0 ]] || die "status takes no arguments"
    local pid
    if pid="$(running_pid)"; then
        echo "devdb: running (pid $pid, $(last_address))"
        return 0
    fi
    echo "devdb: not running"
    return 3
}

cmd_uri() {
    [[ $# -eq 0 ]] || die "uri takes no arguments"
    if running_pid >/dev/null; then
        if [[ -s "$URI_FILE" ]]; then cat "$URI_FILE"; else echo "mongodb://$(last_address)"; fi
        return 0
    fi
    echo "devdb: not running" >&2
    return 3
}

cmd_run_memory() {
    local port="$DEFAULT_PORT" extra=()
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --port) need_value "$1" $#; port="$2"; shift 2 ;;
            --port=*) port="${1#*=}"; shift ;;
            *) extra+=("$1"); shift ;; # passed on to the launcher (--host, --exit-on-stdin-eof)
        esac
    done
    check_port "$port"
    cmd_build
    exec "$JAVA_BIN" "${JAVA_OPTS[@]}" -jar "$JAR" --memory --host "$HOST" --port "$port" "${extra[@]}"
}

main() {
    local command="${1:-}"
    [[ $# -gt 0 ]] && shift
    case "$command" in
        build) cmd_build "$@" ;;
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status "$@" ;;
        uri) cmd_uri "$@" ;;
        run-memory) cmd_run_memory "$@" ;;
        -h | --help | help) usage ;;
        "") usage >&2; exit 2 ;;
        *) echo "devdb: unknown command '$command'" >&2; usage >&2; exit 2 ;;
    esac
}

main "$@"
