#!/usr/bin/env bash
# What the I/O job's HTTP clients cost, beside a reference load generator. Not a
# test: it prints figures (issue 18 §4).
#
#  1. CPU per request at latency 0 of each client, from concbench's own report
#     (cpu_s: CPU of the run process over its timed region): ureq in `sequential`
#     (1 connection) and `threads` (5), reqwest in `async` (--concurrency 256), for
#     REQUESTS and 4 x REQUESTS requests. "per req" is cpu_s.median / requests, the
#     issue's figure; "marginal" is the extra CPU of the 3 x REQUESTS more requests
#     over their number, which leaves out what a run pays once (set-up, teardown,
#     and opening its connections: one, five, or for async ~256 or more), and async
#     at --concurrency 64 (64 connections a run).
#  2. The same for wrk against `concbench serve --latency 0` with 1, 5 and 256
#     connections: wrk's user + system CPU over its requests. wrk opens its
#     connections once and runs for WRK_DURATION, so its figure is a marginal one.
#  3. The async model on the default io job (160 requests, 50 ms): median wall time
#     minus one latency (its floor), set-up, p50 request latency, CPU.
#
# Each part runs REPEATS times, one line per repeat; the machine is shared, so
# the load (uptime) is printed before and after. CPU time rises when the machine
# is loaded (the caches and cores are shared), so compare lines from one session.
#
# Usage: scripts/io-cost.sh
# Environment (all optional):
#   REPEATS=3         repeats of each part
#   RUNS=6            --runs of each concbench command
#   REQUESTS=1600     requests at latency 0 (and 4 x that for the marginal figure)
#   WRK_DURATION=3s   length of each wrk run
#   CONCBENCH=path    use this binary instead of `cargo build --release`
#
# Installs wrk and jq with apt-get when missing (needs root). Only 127.0.0.1 is
# ever targeted; the server this script starts is stopped on exit.
set -euo pipefail

REPEATS=${REPEATS:-3}
RUNS=${RUNS:-6}
REQUESTS=${REQUESTS:-1600}
WRK_DURATION=${WRK_DURATION:-3s}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

log() { printf '%s\n' "$*" >&2; }
die() { log "io-cost: $*"; exit 1; }

# --- tools --------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v jq >/dev/null || missing+=(jq)
if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ -n ${CONCBENCH:-} ]]; then
    bin=$CONCBENCH
else
    log "building concbench (release)"
    cargo build --release --quiet
    bin=${CARGO_TARGET_DIR:-$repo/target}/release/concbench
fi
[[ -x $bin ]] || die "no executable at $bin"

tmp=$(mktemp -d /tmp/io-cost.XXXXXX)
serve_pid=
cleanup() {
    if [[ -n $serve_pid ]]; then
        kill "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# Runs concbench io with "$@" and the JSON report on stdout.
io_json() { "$bin" io "$@" --format json --no-save 2>"$tmp/stderr" || die "concbench io $*: $(cat "$tmp/stderr")"; }

# TCP connections opened on this machine so far (every process's, not only ours).
active_opens() { awk '/^Tcp:/ { getline; print $6; exit }' /proc/net/snmp; }

printf '# io-cost on %s, %s cores (%s)\n' "$(hostname)" "$(nproc)" \
    "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
printf '# load before: %s\n' "$(uptime)"

# --- 1. concbench's clients at latency 0 ---------------------------------------
printf '\n## CPU per request at latency 0, 10 KiB bodies (%s runs each)\n' "$RUNS"
printf '%-6s %-12s %8s %14s %14s %13s\n' repeat model workers "per req (${REQUESTS})" "per req ($((4 * REQUESTS)))" marginal
for ((repeat = 1; repeat <= REPEATS; repeat++)); do
    small=$(io_json --strategy sequential,threads,async --latency 0 --requests "$REQUESTS" --runs "$RUNS")
    large=$(io_json --strategy sequential,threads,async --latency 0 --requests "$((4 * REQUESTS))" --runs "$RUNS")
    jq -nr --argjson small "$small" --argjson large "$large" --argjson n "$REQUESTS" '
        [$small.results, $large.results] | transpose[] |
        .[0].cpu_s.median as $a | .[1].cpu_s.median as $b |
        [.[0].strategy, .[0].workers, $a / $n * 1e6, $b / (4 * $n) * 1e6,
         ($b - $a) / (3 * $n) * 1e6] | @tsv' |
        awk -F'\t' -v r="$repeat" '{ printf "%-6s %-12s %8s %11.1f µs %11.1f µs %10.1f µs\n", r, $1, $2, $3, $4, $5 }'
done
before=$(active_opens)
io_json --strategy async --latency 0 --requests "$REQUESTS" --runs "$RUNS" --warmup 0 >/dev/null
printf 'async opened about %s connections per run of %s requests (TCP ActiveOpens, machine-wide)\n' \
    "$((($(active_opens) - before) / RUNS))" "$REQUESTS"
# The same client with a quarter of the connections to open: what a request costs
# when a run does not open 256 of them.
printf 'async at --concurrency 64, per req (%s):' "$REQUESTS"
for ((repeat = 1; repeat <= REPEATS; repeat++)); do
    io_json --strategy async --concurrency 64 --latency 0 --requests "$REQUESTS" --runs "$RUNS" |
        jq -r --argjson n "$REQUESTS" '.results[0].cpu_s.median / $n * 1e6' |
        awk '{ printf " %.1f µs", $1 }'
done
printf '\n'

# --- 2. wrk on the same server ---------------------------------------------------
"$bin" serve --addr 127.0.0.1:0 --latency 0 --body-bytes 10KiB >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve_pid=$!
url=
for ((tries = 0; tries < 100; tries++)); do
    url=$(head -n 1 "$tmp/serve.out")
    [[ $url == http://127.0.0.1:*/ ]] && break
    kill -0 "$serve_pid" 2>/dev/null || die "concbench serve exited: $(cat "$tmp/serve.err")"
    sleep 0.1
done
[[ $url == http://127.0.0.1:*/ ]] || die "concbench serve printed no URL"

printf '\n## wrk, one thread, on concbench serve --latency 0 (%s each)\n' "$WRK_DURATION"
printf '%-6s %-12s %10s %12s\n' repeat connections requests "CPU per req"
TIMEFORMAT='%U %S'
for ((repeat = 1; repeat <= REPEATS; repeat++)); do
    for connections in 1 5 256; do
        cpu=$({ time wrk -t1 -c"$connections" -d"$WRK_DURATION" "${url}0" >"$tmp/wrk.out"; } 2>&1)
        requests=$(awk '/requests in/ { print $1 }' "$tmp/wrk.out")
        [[ -n $requests ]] || die "wrk printed no request count: $(cat "$tmp/wrk.out")"
        read -r user system <<<"$cpu"
        awk -v r="$repeat" -v c="$connections" -v n="$requests" -v u="$user" -v s="$system" \
            'BEGIN { printf "%-6s %-12s %10d %9.1f µs\n", r, c, n, (u + s) / n * 1e6 }'
    done
done

# --- 3. async on the default io job --------------------------------------------
printf '\n## async on the default io job: 160 requests, 50 ms latency (%s runs each)\n' "$RUNS"
printf '%-6s %10s %14s %10s %10s %14s\n' repeat median "median - L" set-up "p50 req" "CPU per run"
for ((repeat = 1; repeat <= REPEATS; repeat++)); do
    io_json --strategy async --runs "$RUNS" | jq -r '
        .config.io.latency_s as $l | .results[0] |
        [.wall_s.median, .wall_s.median - $l, .setup_s.median, .io.latency_s.p50, .cpu_s.median] |
        map(. * 1e3) | @tsv' |
        awk -F'\t' -v r="$repeat" '{ printf "%-6s %7.1f ms %11.1f ms %7.2f ms %7.1f ms %11.1f ms\n", r, $1, $2, $3, $4, $5 }'
done

printf '\n# load after: %s\n' "$(uptime)"
