# Sourced by the server benchmarks: `serve DATA_DIR [args]` starts a release `keel serve` on 127.0.0.1:$port and
# waits for /healthz; `stop` stops it by its pid (also on exit). Needs $bin and $port set; $keel, when set, is the
# binary to serve with instead of $bin/keel (a baseline built from an earlier commit).
url="http://127.0.0.1:$port"
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true' EXIT

serve() {
    local data=$1; shift
    "${keel:-$bin/keel}" serve --data "$data" --listen "127.0.0.1:$port" "$@" >"$data.out" 2>"$data.err" &
    pid=$!
    for _ in $(seq 1 200); do curl -sf "$url/healthz" >/dev/null && return; sleep 0.05; done
    echo "keel serve did not start:" >&2; cat "$data.err" >&2; exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
