#!/usr/bin/env bash
# Runs fuzz targets for a while each: `fuzz/run.sh SECONDS [TARGET ...]` (default: all).
# Needs the nightly toolchain and cargo-fuzz. The working corpus goes to fuzz/corpus/ and each
# run's whole output to fuzz/logs/ (neither committed); fuzz/seeds/ holds the real files it
# starts from. A finding lands in fuzz/artifacts/TARGET/ and fails the script.
# FUZZ_SANITIZER=none builds without AddressSanitizer (quicker to build, for CI's short runs).
# One allocation over 512 MB is a finding; the whole process may grow to 4 GB, because
# AddressSanitizer keeps what it frees (chain reached 2 GB after 59,000 inputs with 30 MB
# live; every one of those inputs peaks at 31 MB run alone without it).
set -uo pipefail
cd "$(dirname "$0")"
seconds="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv_table idx model_dir network_file chain answers playground layers image_folder)
mkdir -p logs
failed=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    dict=()
    case "$t" in network_file|answers|playground|model_dir) dict=(-dict=dicts/json.dict) ;; esac
    echo "== fuzz $t for ${seconds}s"
    if cargo +nightly fuzz run --sanitizer "${FUZZ_SANITIZER:-address}" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -max_len=16384 -rss_limit_mb=4096 -malloc_limit_mb=512 -timeout=10 "${dict[@]}" \
        -print_final_stats=1 > "logs/$t.log" 2>&1; then
        grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|cov: " "logs/$t.log" | tail -4
    else
        failed=1
        echo "fuzz target $t failed; the end of logs/$t.log:"
        grep -vE "^\s+[0-9]+: |^\s+at " "logs/$t.log" | tail -25
    fi
done
exit $failed
