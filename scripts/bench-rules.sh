#!/usr/bin/env bash
# The ruler's cost (docs/benchmarks.md, "Alerts: the ruler's cost"): 100 rules for each of 100 tenants, evaluated
# every minute by a release `keel serve` on W3's store (10,000,000 W1 events over the 24 h up to now, 100 tenants),
# against the same server on the same store without rules, in the same run. Prints each run's CPU seconds over
# SECONDS of wall time, and the rules' share of one core: (CPU with rules − CPU without) ÷ SECONDS.
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product keel
#   swift build -c release --package-path Benchmarks --scratch-path .build-bench --product store-compare
#   scripts/bench-rules.sh [SECONDS=180] [EVENTS=10000000] [TENANTS=100] [RULES=100]
# The rules are ten shapes of examples/rules over W1's fields (rates, counts of a substring or of a status, a quantile
# of an unwrapped field, a sum, an absence, a line regex) in 10 groups per tenant. By default a shape has two windows
# (5m, 15m) with five thresholds each, so a tenant's 100 rules hold 20 distinct range aggregations (the ruler reads
# each once a pass); KEEL_RULES_SHAPES=distinct gives every rule its own window, 100 distinct aggregations.
# Data goes under ${BENCH_DIR:-/tmp/keel-bench-rules}; the store is kept for a rerun with KEEL_RULES_REUSE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
events=${2:-10000000}
tenants=${3:-100}
rules=${4:-100}
bin=.build-bench/release
. scripts/lib/bench-tools.sh
need_tools keel store-compare
root=${BENCH_DIR:-/tmp/keel-bench-rules}
store="$root/store"
port=18183
. scripts/lib/bench-serve.sh
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$pid/stat"; }  # utime + stime, seconds (USER_HZ 100)

if [ "${KEEL_RULES_REUSE:-0}" != 1 ] || [ ! -d "$store" ]; then
    rm -rf "$root"; mkdir -p "$root"
    # A day ending an hour from now: every window the rules read at now holds W3's density of events.
    start=$(( ($(date +%s) - 23 * 3600) * 1000000 ))
    echo "loading $events events for $tenants tenants…"
    KEEL_COMPARE_START=$start KEEL_COMPARE_REUSE=1 KEEL_COMPARE_COLD_ONLY=1 "$bin/store-compare" blocks "$store" "$events" "$tenants" >"$root/load.txt"
    grep -E "^append|^disk, merged" "$root/load.txt" || true
fi

# The rule files: tenant-N.yaml, RULES rules in groups of ten, every group each minute.
rm -rf "$root/rules"; mkdir -p "$root/rules"
python3 - "$root/rules" "$tenants" "$rules" "${KEEL_RULES_SHAPES:-shared}" <<'EOF'
import sys
directory, tenants, rules, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
shapes = [
    'sum by (service) (rate({service="api"}[{r}])) > {t}',
    'sum by (service) (count_over_time({level="ERROR"}[{r}])) > {t}',
    'sum(count_over_time({service="api"} |= "upstream timeout" [{r}])) > {t}',
    'quantile_over_time(0.99, {service="api"} | unwrap duration_ms [{r}]) by (route) > {t}',
    'sum by (model) (sum_over_time({service="api"} | unwrap tokens_prompt [{r}])) > {t}000',
    'absent_over_time({service="billing"}[{r}])',
    'sum by (route) (count_over_time({service="api"} | status >= 500 [{r}])) > {t}',
    'sum by (service) (count_over_time({service="api"} | retryable="true" [{r}])) > {t}',
    'max by (host) (max_over_time({service="api"} | unwrap duration_ms [{r}])) > {t}',
    'sum(rate({service="api"} |~ "timeout|refused" [{r}])) > {t}',
]
for tenant in range(tenants):
    with open(f"{directory}/tenant-{tenant}.yaml", "w") as file:
        file.write("groups:\n")
        for group in range((rules + 9) // 10):
            file.write(f"  - name: group-{group}\n    interval: 1m\n    rules:\n")
            for n in range(group * 10, min(rules, group * 10 + 10)):
                variant = n // len(shapes)
                # shared: two windows per shape (5m, 15m), each with five thresholds, as warning and critical rules
                # share an aggregation; distinct: every rule its own window (5m, 6m, … 14m), nothing shared.
                window = f"{5 + variant}m" if mode == "distinct" else ("5m" if variant % 2 == 0 else "15m")
                expr = shapes[n % len(shapes)].replace("{r}", window).replace("{t}", str(1 + variant))
                file.write(f"      - alert: Rule{n}\n        expr: '{expr}'\n        for: 5m\n")
EOF

run() {  # run NAME [serve args]: CPU seconds of a server over $seconds, from 5 s after it answers
    local name=$1; shift
    serve "$store" "$@"
    sleep 5
    local before after
    before=$(cpu)
    sleep "$seconds"
    after=$(cpu)
    echo "$name: $(echo "$after - $before" | bc -l) CPU s in ${seconds} s" >&2
    if [ "$name" = rules ]; then
        local token
        token=$("$bin/keel" token create --data "$store" --tenant tenant-0 --role read --expires 1h 2>/dev/null)
        curl -sf -H "Authorization: Bearer $token" "$url/prometheus/api/v1/rules" | python3 -c '
import json, sys
groups = json.load(sys.stdin)["data"]["groups"]
rules = [r for g in groups for r in g["rules"]]
health = sorted(set(r["health"] for r in rules))
seconds = sum(g["evaluationTime"] for g in groups)
print(f"tenant-0: {len(groups)} groups, {len(rules)} rules, health {health}, last pass {seconds * 1000:.0f} ms of evaluation (wall)")
errors = [r["lastError"] for r in rules if r["lastError"]]
if errors: print("errors:", errors[:3])' >&2
    fi
    stop
    echo "$after - $before" | bc -l
}

quiet=$(run "no rules")
loaded=$(run rules --rules "$root/rules")
echo "rules: $(( tenants * rules )) evaluated each minute: $(echo "($loaded - $quiet) / $seconds * 100" | bc -l | cut -c1-5) % of one core"
