#!/usr/bin/env bash
# Runs the test suite under the address sanitizer and then the thread sanitizer, each in its own
# build folder. Exits non-zero when either reports a problem.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for sanitizer in address thread; do
    echo "== swift test --sanitize=$sanitizer"
    swift build --build-tests --sanitize="$sanitizer" --scratch-path ".build-$sanitizer"
    SICHA_SANITIZER="$sanitizer" TSAN_OPTIONS="halt_on_error=1" ASAN_OPTIONS="detect_leaks=1" LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp" \
        swift test --skip-build --sanitize="$sanitizer" --scratch-path ".build-$sanitizer" "$@"
done
