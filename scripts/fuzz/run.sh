#!/usr/bin/env bash
# Runs a fuzz target for N minutes (not part of CI): scripts/fuzz/run.sh TARGET|all MINUTES [--asan]
#
# Leak detection is off: the Swift runtime keeps metadata caches that LeakSanitizer reports.
# Targets: spec json fasta csv safetensors config tokenizer (see Sources/FuzzTargets/FuzzTarget.swift).
# Seeds: Tests/Fixtures/fuzz/TARGET/seeds (committed, read only). The growing corpus lives in
# .build-fuzz/corpus/TARGET (not committed). New crashes, OOMs and timeouts are written to
# Tests/Fixtures/fuzz/TARGET/crashes/: commit them, FuzzCorpusReplayTests replays them in `make test`.
# libFuzzer runs in fork mode and keeps going after a crash (FUZZ_FORK=0: stop at the first one).
# Logs: .build-fuzz/logs/TARGET-*.log (the last `#N` / `exec/s` lines are the figures to report).
set -euo pipefail
cd "$(dirname "$0")/../.."

usage() { echo "usage: $0 TARGET|all MINUTES [--asan]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
target=$1 minutes=$2
[[ "$minutes" =~ ^[0-9]+$ ]] || usage
scratch=.build-fuzz
[[ "${3:-}" == "--asan" ]] && scratch=.build-fuzz-asan
bin="$scratch/release/trellis-fuzz"
[[ -x "$bin" ]] || { echo "$bin missing: run scripts/fuzz/build.sh ${3:-}" >&2; exit 2; }

all=(spec json fasta csv safetensors config tokenizer)
max_len() {
    case $1 in
        spec|json|csv|config) echo 16384 ;;
        *) echo 65536 ;;
    esac
}

run_one() {
    local t=$1
    local fixtures=Tests/Fixtures/fuzz/$t
    [[ -d "$fixtures/seeds" ]] || { echo "unknown target $t (one of: ${all[*]})" >&2; exit 2; }
    mkdir -p "$fixtures/crashes" ".build-fuzz/corpus/$t" .build-fuzz/logs
    local log=".build-fuzz/logs/$t-$(date -u +%Y%m%dT%H%M%S).log"
    local tmp; tmp=$(mktemp -d "${FUZZ_TMP:-/dev/shm}/trellis-fuzz-$t.XXXXXX")
    local fork=()
    [[ "${FUZZ_FORK:-1}" == 1 ]] && fork=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
    echo "fuzzing $t for $minutes min -> $log"
    local rc=0
    ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" TMPDIR="$tmp" TRELLIS_FUZZ_TARGET=$t TRELLIS_FUZZ_FIXTURES="$PWD/Tests/Fixtures" \
        nice -n 10 "$bin" ".build-fuzz/corpus/$t" "$fixtures/seeds" "${fork[@]}" \
        -max_total_time=$((minutes * 60)) -max_len="$(max_len "$t")" -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -detect_leaks=0 -print_final_stats=1 \
        -artifact_prefix="$fixtures/crashes/" > "$log" 2>&1 || rc=$?
    rm -rf "$tmp"
    grep -E '^#[0-9]+' "$log" | tail -1 || true
    grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' "$log" || true
    echo "$t: exit $rc; crashes dir: $(find "$fixtures/crashes" -type f ! -name .keep | wc -l) files"
}

if [[ "$target" == all ]]; then
    for t in "${all[@]}"; do run_one "$t"; done
else
    run_one "$target"
fi
