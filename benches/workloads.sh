#!/usr/bin/env bash
# Every measurement of issue 12 in one run, on one commit, for BENCHMARKS.md
# ("Shapes and streams: one run"): time per decision for every shape x stream x size,
# bytes held per rule and tree shape, callgrind's cache simulation per decision with
# where the misses are at 10,000 rules, compile time at 10,000 rules, and the peers.
#
#   benches/workloads.sh [OUT_DIR]      # default target/workloads; about 15 minutes
#
# Run it on a quiet machine: the time columns (criterion medians of thread CPU time)
# move with load, the instruction and miss counts do not. Each time cell is measured
# for 3 s: with 1 s, cells of one row differed by up to 2x on this virtual machine
# even with nothing else running. Each step's output is kept
# in OUT_DIR (and callgrind's own files in OUT_DIR/callgrind, for callgrind_annotate).
set -uo pipefail
cd "$(dirname "$0")/.."
# A failing step is reported, and the run goes on; the exit status says it failed.
failed=""
check() { [ "$1" = 0 ] || failed="$failed $2"; }
out=${1:-target/workloads}
mkdir -p "$out"
step() { echo; echo "== $1 ($(date -u +%H:%M:%S), $(uptime | sed 's/.*load/load/'))"; }

step "commit and machine"
{ git rev-parse --short HEAD; git status --short | head -5; nproc; uptime; } | tee "$out/machine.txt"

step "time per decision: cargo bench --bench shapes"
cargo bench --bench shapes -- --warm-up-time 1 --measurement-time 3 2>&1 | tee "$out/shapes.txt" \
  | sed -n '/^| shape/,$p'
check "${PIPESTATUS[0]}" shapes

step "bytes per rule and tree shape: cargo bench --bench memory"
cargo bench --bench memory 2>&1 | tee "$out/memory.txt" | grep -v '^\(Running\|Finished\|Compiling\)'
check "${PIPESTATUS[0]}" memory

step "compile 10,000 rules: cargo bench --bench compile"
cargo bench --bench compile -- --warm-up-time 1 --measurement-time 3 compile/10000 2>&1 \
  | tee "$out/compile.txt" | grep -A3 '^compile/10000'
check "${PIPESTATUS[0]}" compile

step "cache simulation per decision: cargo bench --bench cachegrind"
cargo bench --bench cachegrind -- --keep "$out/callgrind" 2>&1 | tee "$out/cachegrind.txt" \
  | sed -n '/^cachegrind: per decision/,$p'
check "${PIPESTATUS[0]}" cachegrind

step "where the last-level misses are at 10,000 rules, uniform stream"
for f in "$out"/callgrind/callgrind.*.uniform.10000.out; do
  echo "-- $(basename "$f")"
  callgrind_annotate --inclusive=no --show=Ir,DLmr --sort=DLmr "$f" 2>/dev/null \
    | grep -E '^ *[0-9,]+ .*\?\?\?:|PROGRAM TOTALS|\.S:' | head -9 \
    | sed -E 's/ \[[^]]*\]$//; s/\?\?\?://'
done | tee "$out/functions.txt"

step "peers: benches/peers/run-all.sh"
(cd benches/peers && ./run-all.sh) 2>&1 | tee "$out/peers.txt"
check "${PIPESTATUS[0]}" peers

step "done"
uptime | tee -a "$out/machine.txt"
if [ -n "$failed" ]; then
  echo "failed:$failed"
  exit 1
fi
