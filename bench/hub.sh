# Shared by bench/web.sh and bench/soak.sh (sourced, not run): starts a release `ehc-hub demo`
# on a free loopback port for a benchmark, stopped when the script exits.
#
#   start_hub OUT      builds ehc-hub and ehc-load in release; writes OUT/hub.toml (the per-address
#                      rate limits raised: the load comes from one address) unless HUB_CONFIG
#                      names a configuration file to use instead (raise its [web] rate limits
#                      the same way); starts the demo (data in OUT/data, output in OUT/hub.out
#                      and OUT/hub.err). Sets BIN (the release binaries' folder, under
#                      CARGO_TARGET_DIR if set), PORT, HUB (its process id) and DATABASE_URL.
#   rss KEY            the hub's VmRSS or VmHWM, in KiB.
#
# CLAMAV_ADDRESS=unix:/path (or tcp://host:port) scans uploads with that clamd instead of the
# demo's development scanner. BENCH_POSTGRES=1 runs the hub on a new PostgreSQL database
# (scripts/postgres-for-tests finds or starts the server; the database is dropped afterwards)
# instead of the demo's SQLite. HUB_ENV prefixes the hub's command (e.g.
# HUB_ENV="env MALLOC_MMAP_THRESHOLD_=131072").

start_hub() {
  local out="$1"
  [ -f web/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css ] || npm ci --prefix web --no-audit --no-fund
  cargo build --release -q -p ehc-hub -p ehc-load
  BIN="${CARGO_TARGET_DIR:-target}/release"
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  if [ -n "${HUB_CONFIG:-}" ]; then
    cp "$HUB_CONFIG" "$out/hub.toml"
  else
    cat > "$out/hub.toml" <<TOML
[la]
name = "Benchmark Council"
contact = "bench"
[web]
rate_limit_burst = 1000000
rate_limit_period_seconds = 1
TOML
  fi
  [ -n "${CLAMAV_ADDRESS:-}" ] && printf '[clamav]\naddress = "%s"\n' "$CLAMAV_ADDRESS" >> "$out/hub.toml"
  DATABASE_URL="sqlite://$PWD/$out/data/ehc-hub.db"
  local db_args=()
  if [ -n "${BENCH_POSTGRES:-}" ]; then
    PG_URL="$(scripts/postgres-for-tests)"
    BENCH_DB="ehc_bench_$$"
    psql "$PG_URL" -qc "CREATE DATABASE $BENCH_DB" >/dev/null
    DATABASE_URL="${PG_URL%/*}/$BENCH_DB"
    db_args=(--database-url "$DATABASE_URL")
    echo "database postgres" | tee -a "$out/results.txt"
  fi
  ${HUB_ENV:-} "$BIN/ehc-hub" --config "$out/hub.toml" demo --listen "127.0.0.1:$PORT" \
    --data-dir "$out/data" "${db_args[@]}" > "$out/hub.out" 2> "$out/hub.err" &
  HUB=$!
  trap stop_hub EXIT
  for _ in $(seq 100); do grep -q "Press Ctrl-C" "$out/hub.out" 2>/dev/null && break; sleep 0.2; done
  grep -q "Press Ctrl-C" "$out/hub.out" || { cat "$out/hub.err" >&2; echo "the hub did not start" >&2; exit 1; }
}

stop_hub() {
  kill "$HUB" 2>/dev/null || true
  if [ -n "${BENCH_DB:-}" ]; then
    wait "$HUB" 2>/dev/null || true
    psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB" >/dev/null || true
  fi
}

rss() { awk -v k="$1" '$1==k":" {print $2}' "/proc/$HUB/status"; }
