#!/usr/bin/env bash
# Runs fuzz targets for a while each: `fuzz/run.sh SECONDS [TARGET ...]` (default: all).
# Needs the nightly toolchain and cargo-fuzz. The working corpus goes to fuzz/corpus/ (not
# committed); fuzz/seeds/ holds the real files it starts from. Findings land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv_table idx model_dir network_file chain answers playground)
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    dict=()
    case "$t" in network_file|answers|playground|model_dir) dict=(-dict=dicts/json.dict) ;; esac
    echo "== fuzz $t for ${seconds}s"
    cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -max_len=16384 -rss_limit_mb=2048 -timeout=10 "${dict[@]}" -print_final_stats=1 2>&1 \
        | grep -E "^(stat::|#[0-9]+.*DONE|==[0-9]+==|SUMMARY|Done|.*panicked|.*deadly)" || true
done
