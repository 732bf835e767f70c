#!/usr/bin/env bash
# Builds the libFuzzer binary for the FuzzTargets entry points, apart from the normal build:
# its own scratch path (.build-fuzz, or .build-fuzz-asan with --asan), so `make build` / `make test`
# never see instrumented objects.
#
#   scripts/fuzz/build.sh           # -sanitize=fuzzer            -> .build-fuzz/trellis-fuzz
#   scripts/fuzz/build.sh --asan    # -sanitize=fuzzer,address    -> .build-fuzz-asan/trellis-fuzz
#
# SwiftPM builds the FuzzTargets module and everything below it with coverage instrumentation; the link
# is done here because libFuzzer supplies `main` (the Swift modules define only LLVMFuzzerTestOneInput).
set -euo pipefail
cd "$(dirname "$0")/../.."

sanitizers=fuzzer
scratch=.build-fuzz
if [[ "${1:-}" == "--asan" ]]; then sanitizers=fuzzer,address; scratch=.build-fuzz-asan; fi
config=release

make -s deps
nice -n 10 swift build --scratch-path "$scratch" -c "$config" --target FuzzTargets \
    -Xswiftc "-sanitize=$sanitizers" -Xswiftc -g

bin="$scratch/$config"
modules=(FuzzTargets PipelineEngine DataIO Transformers Tokenizers Tensors TensorsAVX512 Formats)
objects=()
for m in "${modules[@]}"; do
    # Only the objects of the module's current sources: files deleted since an earlier build leave
    # stale objects behind in the scratch directory.
    while IFS= read -r src; do
        objects+=("$bin/$m.build/$(basename "$src").o")
    done < "$bin/$m.build/sources"
done
nice -n 10 swiftc "-sanitize=$sanitizers" -g "${objects[@]}" \
    $(pkg-config --libs libzstd zlib libxml-2.0) \
    -o "$bin/trellis-fuzz"
echo "built $bin/trellis-fuzz"
