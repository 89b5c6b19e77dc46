#!/usr/bin/env bash
# Benchmark of the embedded HTTP target (`concbench serve`) against a
# one-worker nginx serving a static file of the same size, both on 127.0.0.1,
# both loaded by the same wrk command. Not a test: it prints figures.
#
# Usage: scripts/bench-server.sh
# Environment (all optional):
#   DURATION=10s      wrk run length per server
#   CONNECTIONS=64    wrk connections (-c)
#   WRK_THREADS=2     wrk threads (-t)
#   BODY_BYTES=10240  response body size, both servers
#   THREADS="1 2"     concbench runtime worker counts to try, one run each;
#                     "default" means no --threads (available parallelism)
#   CONCBENCH=path    use this binary instead of `cargo build --release`
#   NGINX_SENDFILE=on nginx's sendfile setting (on or off)
#
# Installs wrk and nginx with apt-get when missing (needs root). Only
# 127.0.0.1 is ever targeted. Both servers are stopped on exit.
set -euo pipefail

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
BODY_BYTES=${BODY_BYTES:-10240}
THREADS=${THREADS:-default 1 2}
NGINX_SENDFILE=${NGINX_SENDFILE:-on}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

log() { printf '%s\n' "$*" >&2; }
die() { log "bench-server: $*"; exit 1; }

# --- tools --------------------------------------------------------------------
install_missing() {
    local missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
    ((${#missing[@]} == 0)) && return
    log "installing ${missing[*]} with apt-get"
    # Keep the package's own nginx service from starting (port 80) during the
    # install, unless the machine already has a policy.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        made_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    ((made_policy)) && rm -f "$policy"
    return 0
}
install_missing
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

if [[ -n ${CONCBENCH:-} ]]; then
    bin=$CONCBENCH
else
    log "building concbench (release)"
    cargo build --release --quiet
    bin=$repo/target/release/concbench
fi
[[ -x $bin ]] || die "no executable at $bin"

# --- cleanup ------------------------------------------------------------------
tmp=$(mktemp -d /tmp/bench-server.XXXXXX)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- helpers ------------------------------------------------------------------
# True once something accepts connections on 127.0.0.1:$1.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints "STATUS-LINE, Content-Length N" of GET / on 127.0.0.1:$1.
probe() {
    local status line len=unknown
    exec 3<>"/dev/tcp/127.0.0.1/$1"
    printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
    IFS= read -r status <&3
    while IFS= read -r line <&3; do
        line=${line%$'\r'}
        [[ -z $line ]] && break
        if [[ ${line,,} == content-length:* ]]; then
            len=${line#*:}
            len=${len// /}
        fi
    done
    exec 3<&-
    printf '%s, Content-Length %s\n' "${status%$'\r'}" "$len"
}

# Runs wrk against $2 (a URL), saves its output as $tmp/$1.wrk, prints req/s.
bench() {
    local name=$1 url=$2 out=$tmp/$1.wrk
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" >"$out"
    {
        printf '  %-22s' "$name"
        awk '/^Requests\/sec:/ {printf "%12s req/s", $2}
             /^Transfer\/sec:/ {printf "  %s/s", $2}
             /^ +Latency +[0-9]/ {printf "  avg latency %s", $2}
             /Socket errors|Non-2xx/ {printf "  [%s]", $0}' "$out"
        printf '\n'
    } >&2
    awk '/^Requests\/sec:/ {print $2}' "$out"
}

# --- nginx --------------------------------------------------------------------
www=$tmp/www
mkdir -p "$www" "$tmp/nginx"
# Same bytes as concbench's body: the 37-byte pattern repeated, cut to size.
for ((i = 0; i <= BODY_BYTES / 37; i++)); do
    printf '0123456789abcdefghijklmnopqrstuvwxyz\n'
done >"$www/index.html"
truncate -s "$BODY_BYTES" "$www/index.html"
# nginx's worker may run as nobody: let it read the document root.
chmod 755 "$tmp" "$www"
chmod 644 "$www/index.html"

start_nginx() {
    local port=$1 conf=$tmp/nginx/nginx.conf
    cat >"$conf" <<EOF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/client_body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    default_type application/octet-stream;
    sendfile $NGINX_SENDFILE;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    open_file_cache max=16 inactive=60s;
    server {
        listen 127.0.0.1:$port;
        root $www;
        index index.html;
    }
}
EOF
    "$NGINX" -p "$tmp/nginx" -c "$conf" -e "$tmp/nginx/error.log" 2>>"$tmp/nginx/stderr" &
    nginx_pid=$!
    pids+=("$nginx_pid")
    local tries
    for ((tries = 0; tries < 50; tries++)); do
        kill -0 "$nginx_pid" 2>/dev/null || return 1
        listening "$port" && return 0
        sleep 0.1
    done
    return 1
}

nginx_port=
for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 30000))
    listening "$port" && continue
    if start_nginx "$port"; then
        nginx_port=$port
        break
    fi
done
[[ -n $nginx_port ]] || die "nginx did not start: $(cat "$tmp/nginx/stderr" "$tmp/nginx/error.log" 2>/dev/null)"
nginx_url=http://127.0.0.1:$nginx_port/

# --- concbench ----------------------------------------------------------------
# Starts `concbench serve`; sets serve_pid and serve_url.
start_concbench() {
    local threads=$1 args=(serve --addr 127.0.0.1:0 --latency 0ms --body-bytes "$BODY_BYTES")
    [[ $threads == default ]] || args+=(--threads "$threads")
    : >"$tmp/serve.out"
    "$bin" "${args[@]}" >"$tmp/serve.out" 2>"$tmp/serve.err" &
    serve_pid=$!
    pids+=("$serve_pid")
    local tries line
    for ((tries = 0; tries < 100; tries++)); do
        line=$(head -n 1 "$tmp/serve.out")
        if [[ $line =~ ^http://127\.0\.0\.1:[0-9]+/$ ]] && [[ $(wc -l <"$tmp/serve.out") -ge 1 ]]; then
            serve_url=$line
            return 0
        fi
        kill -0 "$serve_pid" 2>/dev/null || die "concbench serve exited: $(cat "$tmp/serve.err")"
        sleep 0.1
    done
    die "concbench serve printed no URL: $(cat "$tmp/serve.out" "$tmp/serve.err")"
}

# Stops it with SIGTERM and checks it exits 0 (graceful shutdown).
stop_concbench() {
    kill -TERM "$serve_pid"
    local rc=0
    wait "$serve_pid" || rc=$?
    ((rc == 0)) || log "  warning: concbench serve exited with status $rc after SIGTERM"
}

# --- run ----------------------------------------------------------------------
summary=()
log "machine: $(nproc) cores; wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION; body $BODY_BYTES bytes"
log "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') on $nginx_url: $(probe "$nginx_port")"
nginx_rps=$(bench nginx "$nginx_url")
summary+=("$(printf '%-28s %12s req/s' "nginx (1 worker)" "$nginx_rps")")

for threads in $THREADS; do
    start_concbench "$threads"
    port=${serve_url##*:}
    port=${port%/}
    log "concbench (threads=$threads) on $serve_url: $(probe "$port")"
    rps=$(bench "concbench threads=$threads" "$serve_url")
    stop_concbench
    summary+=("$(awk -v a="$rps" -v b="$nginx_rps" -v t="$threads" \
        'BEGIN {printf "%-28s %12s req/s  %.2fx nginx", "concbench (threads=" t ")", a, a / b}')")
done

printf '\nwrk -t%s -c%s -d%s, %s-byte body, 127.0.0.1, %s cores, nginx sendfile %s\n' \
    "$WRK_THREADS" "$CONNECTIONS" "$DURATION" "$BODY_BYTES" "$(nproc)" "$NGINX_SENDFILE"
printf '%s\n' "${summary[@]}"
