#!/usr/bin/env bash
# Times `sicha verify` against two yardsticks on generated corpora and prints a Markdown table:
# `zstd -dc` of the four register files (the floor: just decompressing the input) and the same
# checks written as SQL for DuckDB (scripts/duckdb_checks.py, 2 threads). Wall time and peak RSS
# come from GNU time; each figure is the median of REPEAT rounds, in which the programs take turns.
# It also checks that --threads 1 and --threads 2 write byte-identical outputs and that DuckDB's
# count per finding code equals sicha's.
#
#   bash scripts/bench.sh                      # 1M and 10M persons
#   SIZES="1000000" REPEAT=1 bash scripts/bench.sh
#   SIZES="47000000" DUCKDB=0 REPEAT=1 bash scripts/bench.sh   # a province, without DuckDB
#
# Corpora are generated once under bench-data/<persons>/ (git-ignored) and reused; outputs go to
# bench-data/out/. Installs zstd, GNU time (scripts/setup.sh) and the duckdb Python package when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000000 10000000"}
REPEAT=${REPEAT:-3}
DUCKDB=${DUCKDB:-1}
AS_OF=${AS_OF:-2025-11-15}
SCHOOL_YEAR=${SCHOOL_YEAR:-2025}
DATA=bench-data

# --- what the benchmark needs -------------------------------------------------------------------
bash scripts/setup.sh
[ "$DUCKDB" = 0 ] || python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet duckdb
echo "building sicha (release)" >&2
swift build -c release --product sicha >&2
SICHA=$(swift build -c release --show-bin-path)/sicha

# --- measuring ----------------------------------------------------------------------------------
# run_once NAME COMMAND...: runs COMMAND once (stdout to $OUT/NAME.log) and adds its wall time and
# peak RSS to $OUT/NAME.times. The programs take turns, one run each per round, so that a machine
# that is slower for a while slows them alike and the ratios hold.
run_once() {
    local name=$1; shift
    if ! /usr/bin/time -f '%e %M' -a -o "$OUT/$name.times" "$@" >"$OUT/$name.log" 2>"$OUT/$name.err"; then
        echo "$name failed:" >&2; cat "$OUT/$name.err" >&2; exit 1
    fi
}

# median NAME: sets WALL (seconds) and PEAK (MiB) to the medians of NAME's runs.
median() {
    WALL=$(cut -d' ' -f1 "$OUT/$1.times" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    PEAK=$(cut -d' ' -f2 "$OUT/$1.times" | sort -g | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] / 1024 }')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

table="| persons | program | wall s | peak MiB | × zstd -dc |
|---:|---|---:|---:|---:|"
verdict="| persons | sicha (2 threads) faster than DuckDB | sicha memory / DuckDB memory | outputs --threads 1 = 2 | DuckDB counts = sicha |
|---:|---:|---:|---|---|"

load_before=$(cut -d' ' -f1 /proc/loadavg)
for n in $SIZES; do
    dir=$DATA/$n
    if ! grep -q "\"persons\": $n," "$dir/manifest.json" 2>/dev/null || ! grep -q '"frame_size": 1048576,' "$dir/manifest.json"; then
        echo "generating $n persons in $dir" >&2
        rm -rf "$dir"
        "$SICHA" generate --persons "$n" --seed 1 --as-of "$AS_OF" --school-year "$SCHOOL_YEAR" --frame-size 1MiB --out "$dir" >&2
    fi
    OUT=$DATA/out/$n
    rm -rf "$OUT"; mkdir -p "$OUT"
    inputs=(--hukou "$dir/hukou.csv.zst" --xueji "$dir/xueji.csv.zst" --roster "$dir/roster.csv.zst"
            --poverty "$dir/poverty.csv.zst" --as-of "$AS_OF" --school-year "$SCHOOL_YEAR")
    label=$n

    for round in $(seq "$REPEAT"); do
        echo "$n persons, round $round of $REPEAT: zstd -dc, sicha --threads 1 and 2$([ "$DUCKDB" = 0 ] || echo ", DuckDB")" >&2
        # To /dev/null, as the yardstick: only decompressing, no writing.
        run_once zstd bash -c 'zstd -dcq "$@" >/dev/null' zstd \
            "$dir/hukou.csv.zst" "$dir/xueji.csv.zst" "$dir/roster.csv.zst" "$dir/poverty.csv.zst"
        # Each run writes into an empty folder (replacing a previous run's files costs the file
        # system their freeing: 50 ms for a 10M ledger).
        for t in 1 2; do
            rm -rf "$OUT/sicha-t$t"
            run_once "sicha-t$t" "$SICHA" verify "${inputs[@]}" --threads "$t" --out "$OUT/sicha-t$t"
        done
        [ "$DUCKDB" = 0 ] || { rm -rf "$OUT/duckdb"; run_once duckdb python3 scripts/duckdb_checks.py "${inputs[@]}" --threads 2 --out "$OUT/duckdb"; }
    done

    median zstd
    zstd_wall=$WALL
    table+="
| $label | zstd -dc (the four files) | $WALL | $PEAK | 1.00 |"
    for t in 1 2; do
        median "sicha-t$t"
        table+="
| $label | sicha verify --threads $t | $WALL | $PEAK | $(ratio "$WALL" "$zstd_wall") |"
        sicha_wall=$WALL; sicha_peak=$PEAK
    done

    identical=yes
    for f in "$OUT"/sicha-t1/* "$OUT"/sicha-t2/*; do
        name=$(basename "$f")
        cmp -s "$OUT/sicha-t1/$name" "$OUT/sicha-t2/$name" || { identical="NO ($name differs)"; break; }
    done

    if [ "$DUCKDB" = 0 ]; then
        verdict+="
| $label | - | - | $identical | - |"
        continue
    fi
    median duckdb
    table+="
| $label | DuckDB $(python3 -c 'import duckdb; print(duckdb.__version__)') SQL, 2 threads | $WALL | $PEAK | $(ratio "$WALL" "$zstd_wall") |"
    counts=$(python3 - "$OUT/duckdb/summary.json" "$OUT/sicha-t2/summary.json" <<'PY'
import json, sys
duck, sicha = ({c: v["total"] for c, v in json.load(open(p))["findings"].items()} for p in sys.argv[1:])
differ = sorted(c for c in duck.keys() | sicha.keys() if duck.get(c) != sicha.get(c))
print(f"yes, all {len(sicha)} codes" if not differ else "NO: " + ", ".join(differ))
PY
)
    verdict+="
| $label | $(ratio "$WALL" "$sicha_wall")× | $(ratio "$sicha_peak" "$PEAK") | $identical | $counts |"
done

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo),"\
     "$(swift --version 2>&1 | head -1 | sed 's/ (.*//'), median of $REPEAT round(s);"\
     "load average $load_before before, $(cut -d' ' -f1 /proc/loadavg) after."
echo
echo "$table"
echo
echo "$verdict"
