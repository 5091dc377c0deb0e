#!/usr/bin/env bash
# Load benchmark of the hub's web service (not a test): builds ehc-hub and ehc-load in release,
# starts `ehc-hub demo` (SQLite) on a free port with the per-address rate limits raised (the
# load comes from one address), then runs bench/load: the bare argon2id rate on all cores, the
# password step (4 clients), the work tray (16 clients on a signed-in session). Reads the hub's
# RSS (VmRSS) idle and its peak (VmHWM) after the password step.
#
#   bench/web.sh [SECONDS]        (default 20; results printed and kept in target/bench-web/)
#
# SEED_CASES=N first seeds N cases (with bench/cases: 2 000 settings, 20 000 people) into the
# demo's database, and WHO=officer signs in as the demo's LA officer (who sees every case)
# instead of the SENDCo: `SEED_CASES=100000 WHO=officer LOAD_ARGS="--only tray" bench/web.sh`.
# Documents (upload and download throughput, then a 200 MiB upload, then 4 uploads at once, then
# the case's ZIP; the hub's peak memory is then the documents' alone):
# `WHO=officer LOAD_ARGS="--only documents" bench/web.sh` (BENCH_POSTGRES=1: on PostgreSQL).
# The hub is started by bench/hub.sh (BENCH_POSTGRES, CLAMAV_ADDRESS, HUB_CONFIG: see there).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-20}"
OUT=target/bench-web
rm -rf "$OUT" && mkdir -p "$OUT"
. bench/hub.sh
start_hub "$OUT"
PICK=tail; [ "${WHO:-}" = officer ] && PICK=head
LINK=$(grep -o "http://127.0.0.1:$PORT/register/[A-Za-z0-9_-]*" "$OUT/hub.out" | $PICK -1)
if [ -n "${SEED_CASES:-}" ]; then
  cargo build --release -q -p ehc-bench-cases
  "$BIN/ehc-seed-cases" --database-url "sqlite://$PWD/$OUT/data/ehc-hub.db" --cases "$SEED_CASES" \
    > "$OUT/seed.out"
  echo "seeded_cases $SEED_CASES" | tee -a "$OUT/results.txt"
fi
sleep 1
echo "hub_rss_idle $(( $(rss VmRSS) / 1024 )) MiB" | tee -a "$OUT/results.txt"
# The hub's resident memory every 0.2 s while the load runs (target/bench-web/rss.tsv, KiB).
( while kill -0 $HUB 2>/dev/null; do echo "$(date +%s.%N) $(rss VmRSS)"; sleep 0.2; done ) > "$OUT/rss.tsv" &
"$BIN/ehc-load" --base "http://127.0.0.1:$PORT" --link "$LINK" --seconds "$SECONDS_EACH" ${LOAD_ARGS:-} | tee -a "$OUT/results.txt"
echo "hub_rss_peak $(( $(rss VmHWM) / 1024 )) MiB" | tee -a "$OUT/results.txt"
awk '/^argon2id_rate/ {a=$2} /^password_step/ {p=$2} END {if (a>0) printf "password_step_to_argon2 %.0f %%\n", 100*p/a}' "$OUT/results.txt" | tee -a "$OUT/results.txt"
