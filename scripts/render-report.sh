#!/usr/bin/env bash
# Renders a report.html to a PNG in headless Chromium, to check the page as a browser shows it.
# Installs Debian's chromium and the Noto CJK fonts when they are missing.
#   bash scripts/render-report.sh out/demo/report.html [out.png] [width,height]
set -euo pipefail
html=${1:?usage: render-report.sh REPORT.html [OUT.png] [WIDTH,HEIGHT]}
png=${2:-${html%.html}.png}
size=${3:-1280,2400}
[ -f "$html" ] || { echo "no such file: $html" >&2; exit 2; }
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
case "$png" in /*) ;; *) png=$(pwd)/$png ;; esac
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$png" \
    --window-size="$size" "file://$abs" 2>/dev/null
echo "$png"
