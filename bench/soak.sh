#!/usr/bin/env bash
# Soak of the hub's web service (not a test): a steady mixed load on loopback for a long time —
# sign-ins (password, a wrong code, the app's code), work trays, case pages and sign-outs from
# several LA officers at a fixed request rate — to see that nothing fails and memory stays
# flat. Builds ehc-hub and ehc-load in release and starts `ehc-hub demo` (bench/hub.sh:
# BENCH_POSTGRES=1 for PostgreSQL, HUB_CONFIG=file for another configuration, CLAMAV_ADDRESS),
# invites the people with `ehc-hub invite`, then runs `ehc-load --only soak`.
#
#   bench/soak.sh [SECONDS]       (default 600)
#
# RATE (requests per second, default 20), PEOPLE (default 8: the demo's LA officer and
# PEOPLE-1 more) and PAGES (tray and case pages per sign-in, default 12) change the mix.
# Prints a table of every route (requests, errors, p50 and p99 latency) and the hub's memory
# (first, after warm-up, last, largest); everything is kept in target/bench-soak/ (results.txt,
# rss.tsv: the hub's VmRSS every 5 seconds, seconds<TAB>KiB). Exits non-zero on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-600}"
OUT=target/bench-soak
rm -rf "$OUT" && mkdir -p "$OUT"
. bench/hub.sh
start_hub "$OUT"
BASE="http://127.0.0.1:$PORT"
LINK=$(grep -o "$BASE/register/[A-Za-z0-9_-]*" "$OUT/hub.out" | head -1)
MORE=()
for i in $(seq 2 "${PEOPLE:-8}"); do
  link=$(EHC_DEVELOPMENT=true EHC_DATABASE_URL="$DATABASE_URL" EHC_PUBLIC_BASE_URL="$BASE" \
    "$BIN/ehc-hub" --config "$OUT/hub.toml" invite --email "soak.$i@example.gov.uk" --role la-officer \
    2>>"$OUT/invite.err" | grep -o "$BASE/register/[A-Za-z0-9_-]*")
  MORE+=(--soak-link "$link")
done
{
  echo "soak ${DURATION} s at ${RATE:-20} requests/s, ${PEOPLE:-8} people, $(nproc) cores"
  echo "hub_rss_idle $(( $(rss VmRSS) / 1024 )) MiB"
} | tee -a "$OUT/results.txt"
"$BIN/ehc-load" --base "$BASE" --link "$LINK" "${MORE[@]}" --only soak --seconds "$DURATION" \
  --rate "${RATE:-20}" --pages "${PAGES:-12}" --rss-pid "$HUB" --rss-tsv "$OUT/rss.tsv" \
  | tee -a "$OUT/results.txt"
echo "hub_rss_peak $(( $(rss VmHWM) / 1024 )) MiB" | tee -a "$OUT/results.txt"
grep -q '^soak_errors 0 ' "$OUT/results.txt"
