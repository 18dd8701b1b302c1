#!/usr/bin/env bash
# Installs what is missing, builds sicha in release mode, verifies the bundled corpus and shows the top cases.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product sicha
out=${1:-out/demo}
mkdir -p "$out"
mapfile -t args < corpora/small/args
.build/release/sicha verify "${args[@]}" --out "$out"
echo
echo "== top of $out/cases.csv"
head -n 11 "$out/cases.csv" | cut -c1-200
