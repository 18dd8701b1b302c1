#!/usr/bin/env bash
# Runs `sicha verify` on three hostile hukou registers and prints wall time and peak memory of each:
#   same    the same school-age ID on every row (every row a DUPLICATE_ID finding)
#   adult   the same adult ID on every row (kept as keys, then every row a DUPLICATE_ID finding)
#   school  every person of school age and no xueji record (a finding, a case and a ledger row each)
#
#   bash scripts/hostile.sh            # 10 million rows each
#   ROWS=1000000 bash scripts/hostile.sh
#
# The files are written once under bench-data/hostile/ (git-ignored) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-10000000}
DATA=bench-data/hostile/$ROWS
bash scripts/setup.sh
echo "building sicha (release)" >&2
swift build -c release --product sicha >&2
SICHA=$(swift build -c release --show-bin-path)/sicha
mkdir -p "$DATA"
printf 'student_no,id,name,sex,birth_date,school_code,school_region_code,grade,status\n' >"$DATA/xueji.csv"

for mode in same adult school; do
    if [ ! -s "$DATA/$mode.csv.zst" ]; then
        echo "writing $ROWS $mode rows" >&2
        python3 - "$mode" "$ROWS" <<'PY' | zstd -q -o "$DATA/$mode.csv.zst"
import sys
weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
def valid(d17): return d17 + "10X98765432"[sum(int(c) * w for c, w in zip(d17, weights)) % 11]
mode, n = sys.argv[1], int(sys.argv[2])
out = sys.stdout
out.write("id,name,sex,birth_date,household_id,region_code,status\n")
one, adult = valid("53010220140305001"), valid("53010219700305001")
for i in range(n):
    if mode == "same":
        out.write(f"{one},张三,1,2014-03-05,H{i % 1000},530102001001,normal\n")
    elif mode == "adult":
        out.write(f"{adult},王五,1,1970-03-05,H{i % 1000},530102001001,normal\n")
    else:
        y, m, d, seq = 2010 + i % 8, 1 + (i // 8) % 12, 1 + (i // 96) % 28, (i // 2688) % 1000
        number = valid(f"5301{(i // 2688000) % 90 + 10:02d}{y:04d}{m:02d}{d:02d}{seq:03d}")
        out.write(f"{number},李四,{1 if seq % 2 else 2},{y:04d}-{m:02d}-{d:02d},H{i},530102001001,normal\n")
PY
    fi
    stats=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$stats" "$SICHA" verify --hukou "$DATA/$mode.csv.zst" --xueji "$DATA/xueji.csv" \
        --as-of 2025-11-15 --school-year 2025 --out "bench-data/out/hostile-$mode" --quiet >/dev/null
    read -r wall peak <"$stats"; rm -f "$stats"
    echo "$mode: $ROWS rows, $wall s, peak $((peak / 1024)) MiB"
done
