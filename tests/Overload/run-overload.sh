#!/usr/bin/env bash
# The bounded overload run of docs/reliability.md: the real server on loopback with a small queue and
# short deadlines, its capacity measured first, then an open-loop load at FACTOR times that capacity for
# DURATION seconds (a mix of single images and 4- and 16-seed generate requests, some clients giving up
# early), with the server's resident memory sampled every second. Checks, and exits 1 when one fails:
# only 200, 429, 503 and 504 answers; every 429/503 has Retry-After; no transport errors beyond the
# connections Kestrel refused at Limits:MaxConcurrentConnections (it logs each); every request sent has
# exactly one outcome; the server is ready afterwards and seed 42 is still the same image.
#
#   tests/Overload/run-overload.sh                     # 3 minutes at 2x capacity
#   DURATION=30 FACTOR=3 tests/Overload/run-overload.sh
set -euo pipefail

DURATION=${DURATION:-180}
FACTOR=${FACTOR:-2}
PORT=${PORT:-18555}
OUT=${OUT:-overload-results}
MIX=${MIX:-image:png=6,generate:4=2,generate:16=1}
TIMEOUT_MS=${TIMEOUT_MS:-100}

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
mkdir -p "$OUT"
url="http://127.0.0.1:$PORT"

dotnet build -c Release src/GanServe.Server/GanServe.Server.csproj -v q -nologo >/dev/null
dotnet build -c Release src/GanServe.LoadGen/GanServe.LoadGen.csproj -v q -nologo >/dev/null
load=(dotnet src/GanServe.LoadGen/bin/Release/net10.0/ganserve-load.dll)

GanServe__Batching__QueueCapacity=128 \
GanServe__Requests__MaxImagesPerRequest=64 \
GanServe__Requests__DefaultTimeout=00:00:00.250 \
GanServe__DrainDelay=00:00:00 \
Logging__LogLevel__Default=Warning \
  dotnet src/GanServe.Server/bin/Release/net10.0/GanServe.Server.dll --urls "$url" >"$OUT/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT

for _ in $(seq 1 120); do
  if curl -fsS "$url/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
curl -fsS "$url/readyz" >/dev/null
model=$(curl -fsS "$url/v1/models" | python3 -c 'import json,sys; print(json.load(sys.stdin)["models"][0]["name"])')
curl -fsS "$url/v1/models/$model/images/42.png" -o "$OUT/seed-42-before.png"

echo "== capacity: 32 clients, closed loop, 15 s ($MIX)"
"${load[@]}" run --url "$url" --clients 32 --duration 15 --warmup 3 --mix "$MIX" --json "$OUT/capacity.json"
capacity=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["answeredPerSecond"])' "$OUT/capacity.json")
rate=$(python3 -c "print(round($capacity * $FACTOR))")

echo "== overload: $rate req/s open loop ($FACTOR x $capacity) for $DURATION s, deadline ${TIMEOUT_MS} ms, 5 % give up after 20 ms"
curl -fsS "$url/metrics" >"$OUT/metrics-before.txt"
"${load[@]}" run --url "$url" --rate "$rate" --max-outstanding 100000 --duration "$DURATION" --warmup 0 \
  --mix "$MIX" --timeout-ms "$TIMEOUT_MS" --cancel-fraction 0.05 --cancel-after 20 \
  --watch-pid "$server" --json "$OUT/overload.json"
curl -fsS "$url/metrics" >"$OUT/metrics-after.txt"

ready=$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")
curl -fsS "$url/v1/models/$model/images/42.png" -o "$OUT/seed-42-after.png"
same=$(cmp -s "$OUT/seed-42-before.png" "$OUT/seed-42-after.png" && echo yes || echo no)

python3 - "$OUT" "$ready" "$same" "$capacity" "$rate" <<'PY'
import json, re, sys
out, ready, same, capacity, rate = sys.argv[1:]
r = json.load(open(f"{out}/overload.json"))
def requests_total(path):
    total = 0.0
    for line in open(path):
        if line.startswith("ganserve_requests_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return total
served = requests_total(f"{out}/metrics-after.txt") - requests_total(f"{out}/metrics-before.txt")
# Past Limits:MaxConcurrentConnections Kestrel closes new connections before reading a request (no HTTP answer,
# as the contract allows for Kestrel's own limits); it logs each one, so such refusals are counted, not lost.
refused = sum(1 for line in open(f"{out}/server.log") if "maximum number of concurrent connections" in line)
by_status = {int(k): v for k, v in r["byStatus"].items()}
mem = r.get("memory") or {}
mib = lambda m: f"{m:.0f} MiB" if m else "?"
print()
print(f"capacity {float(capacity):.0f} req/s; offered {rate} req/s for {r['elapsedSeconds']:.0f} s")
print(f"sent {r['sent']}, answered {r['answered']}, cancelled {r['cancelled']}, transport errors {r['transportErrors']}, not sent {r['notSent']}")
print("answers by status: " + ", ".join(f"{k}: {v}" for k, v in sorted(by_status.items())))
print(f"429/503 without Retry-After: {r['missingRetryAfter']}")
print(f"server-side ganserve_requests_total over the run: {served:.0f}")
print(f"connections refused at the server's connection limit (server log): {refused}")
print(f"resident memory ({mem.get('samples', 0)} samples): first {mib(mem.get('firstMiB'))}, last {mib(mem.get('lastMiB'))}, max {mib(mem.get('maxMiB'))}")
print(f"after the run: /readyz {ready}, seed 42 unchanged: {same}")
failures = []
if set(by_status) - {200, 429, 503, 504}:
    failures.append(f"statuses outside 200/429/503/504: {sorted(set(by_status) - {200, 429, 503, 504})}")
if r["missingRetryAfter"]:
    failures.append("429/503 answers without Retry-After")
if r["transportErrors"] > refused:
    failures.append(f"{r['transportErrors'] - refused} transport errors beyond the connections refused at the limit (requests without an answer)")
if served > r["answered"] + r["cancelled"]:
    failures.append("the server counted more answers than requests were sent")
if r["sent"] != r["answered"] + r["cancelled"] + r["transportErrors"]:
    failures.append("sent != answered + cancelled + errors")
if ready != "200" or same != "yes":
    failures.append("server not ready or seed 42 changed after the run")
print("FAILED: " + "; ".join(failures) if failures else "all checks passed")
sys.exit(1 if failures else 0)
PY
