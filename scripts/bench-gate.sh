#!/usr/bin/env bash
# How often does the regression gate cry wolf, and how often does it catch a real
# slowdown? Not a test: it prints figures.
#
#  A. 20 identical reruns of a short cpu job, compared pairwise (190 comparisons):
#     how many end in a regression (exit 3)? Target: at most 1.
#  B. 20 pairs of io runs against `concbench serve` started on its own, once with
#     latency L and once with 1.1·L, the client's settings identical (--sites):
#     how many comparisons catch the slowdown? Target: at least 19 of 20.
#
# Usage: scripts/bench-gate.sh            (about 10 minutes on 2 cores)
# Environment: MAX_REGRESSION (default 5%), RERUNS (20), LATENCY_MS (20),
#              CONCBENCH (a built binary; default: cargo build --release).
# Only 127.0.0.1 is targeted; both servers are stopped on exit.
set -euo pipefail

MAX_REGRESSION=${MAX_REGRESSION:-5%}
RERUNS=${RERUNS:-20}
LATENCY_MS=${LATENCY_MS:-20}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
if [[ -z ${CONCBENCH:-} ]]; then
    cargo build --release --quiet
    CONCBENCH=$repo/target/release/concbench
fi
CONCBENCH=$(realpath "$CONCBENCH")
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "a benchmark run failed:" >&2
    cat "$work/stderr" >&2
    exit 1
}

# Runs `concbench compare A B` and prints 1 when it found a regression (exit 3).
regressed() {
    local status=0
    "$CONCBENCH" compare "$1" "$2" --max-regression "$MAX_REGRESSION" >/dev/null 2>&1 || status=$?
    case $status in
        0) echo 0 ;;
        3) echo 1 ;;
        *) echo "compare $1 $2 failed with exit $status" >&2; exit 1 ;;
    esac
}

echo "# gate figures: --max-regression $MAX_REGRESSION, $RERUNS reruns"
echo
echo "## A. identical reruns of a short cpu job, compared pairwise"
for i in $(seq 1 "$RERUNS"); do
    "$CONCBENCH" cpu --count 20 --start 300000 --runs 10 --warmup 1 \
        --output "$work/cpu-$i.json" >/dev/null 2>"$work/stderr" || fail
done
pairs=0
false_alarms=0
for i in $(seq 1 "$RERUNS"); do
    for j in $(seq $((i + 1)) "$RERUNS"); do
        pairs=$((pairs + 1))
        false_alarms=$((false_alarms + $(regressed "$work/cpu-$i.json" "$work/cpu-$j.json")))
    done
done
echo "false regressions: $false_alarms of $pairs comparisons (target: at most 1)"

echo
echo "## B. target latency raised by 10 %: ${LATENCY_MS} ms -> $((LATENCY_MS * 11 / 10)).$((LATENCY_MS * 11 % 10)) ms"
# Starts `concbench serve` with a latency in microseconds, in this shell (so the
# EXIT trap can stop it), and sets $url to its address.
start_server() {
    local fifo=$work/serve-$1
    mkfifo "$fifo"
    "$CONCBENCH" serve --latency "${1}us" --body-bytes 10240 >"$fifo" &
    pids+=($!)
    read -r url <"$fifo"
}
start_server $((LATENCY_MS * 1000))
base_url=$url
start_server $((LATENCY_MS * 1100))
slow_url=$url
# The same file name on both sides, so the two reports' settings are identical;
# only the server behind the URL differs.
mkdir -p "$work/base" "$work/slow"
echo "$base_url" >"$work/base/sites.txt"
echo "$slow_url" >"$work/slow/sites.txt"
caught=0
for i in $(seq 1 "$RERUNS"); do
    for side in base slow; do
        (cd "$work/$side" && "$CONCBENCH" io --sites sites.txt --repeat 40 \
            --strategy sequential,threads,async --runs 10 --warmup 1 \
            --output "$work/io-$side-$i.json" >/dev/null 2>"$work/stderr") || fail
    done
    caught=$((caught + $(regressed "$work/io-base-$i.json" "$work/io-slow-$i.json")))
done
echo "slowdowns caught: $caught of $RERUNS comparisons (target: at least 19)"
echo
echo "one of those comparisons in full:"
"$CONCBENCH" compare "$work/io-base-1.json" "$work/io-slow-1.json" --max-regression "$MAX_REGRESSION" || true
