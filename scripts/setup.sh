#!/usr/bin/env bash
# Installs what building sicha needs beyond the Swift toolchain: libzstd (headers and library),
# pkg-config to find it, the zstd command used by tests and benchmarks, and GNU time, with which
# the benchmark scripts measure peak memory.
set -euo pipefail
missing=()
dpkg -s libzstd-dev >/dev/null 2>&1 || missing+=(libzstd-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v zstd >/dev/null 2>&1 || missing+=(zstd)
/usr/bin/time --version 2>&1 | grep -q GNU || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null 2>&1 || { echo "swift is not on PATH: install the Swift 6 toolchain" >&2; exit 1; }
