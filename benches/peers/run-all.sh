#!/bin/sh
# Portcullis against Cedar, casbin and regorus on every workload shape (the held-out
# one included), both request streams, 1,000 rules: one markdown table at the end.
# Each peer gets 4 s per shape and stream (at least 10 decisions, at most 12 s), so
# the whole run is bounded: about 4 minutes on a quiet 2-core machine. Extra
# arguments go to the binary and win (e.g. `./run-all.sh --seconds 2`); see
# src/main.rs for every flag.
set -eu
cd "$(dirname "$0")"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), $(uptime)"
cargo build --release --quiet
exec cargo run --release --quiet -- 1000 --shapes all --streams all --seconds 4 --min-decisions 10 "$@"
