#!/usr/bin/env python3
"""The checks of `sicha verify` written as SQL for DuckDB: a yardstick for scripts/bench.sh.

Reads the same register files (zstd-compressed or plain CSV) with DuckDB's read_csv, runs the
record-level checks (ID_INVALID, ID_BIRTH_MISMATCH, ID_SEX_MISMATCH, DUPLICATE_ID,
CHRONIC_ABSENCE) and the ten comparisons of CONTRACT.md section 4 with the semantics of
Sources/SiChaCore (RecordDecoder.swift, IDNumber.swift, Verification.swift), writes every finding
to OUT/exceptions.csv and the count per code to OUT/summary.json. With --expect SUMMARY it
compares the counts with a sicha summary.json and exits 1 when any code differs.

    python3 scripts/duckdb_checks.py --hukou H.csv.zst --xueji X.csv.zst --roster R.csv.zst \
        --poverty P.csv.zst --as-of 2025-11-15 --school-year 2025 --out OUT [--threads 2] \
        [--expect sicha-out/summary.json]

Installs the `duckdb` package with pip when it is missing.

The same rows are accepted and the same findings made, naming the same records, on corpora from
`sicha generate` (with and without --variants: Chinese headers, BOM, CRLF, quoted line breaks,
15-digit, full-width, lowercase-x and padded IDs). Where it differs from sicha:
- Rows that are not CSV (wrong field count, text after a closing quote, invalid UTF-8) are skipped
  by DuckDB (store_rejects); rows with an empty required value or an unreadable code are filtered
  in SQL. Both are rejects in sicha too. But DuckDB reads a quote inside an unquoted field
  (沈"小"梅) as text where sicha rejects the row, and a quote left open at the end of a file
  swallows the rest of the file where sicha rejects one row and goes on at the next line; its
  limits on NUL bytes and very long lines are its own as well. On corpora/small, which holds one
  of each, these two rows make 4 codes differ by 1 to 5 findings.
- A finding names a record by file and by its ordinal among the rows DuckDB parsed in that file
  (`row`), not by physical line; within a code, findings are in file order all the same.
- GB18030 input, standard input (`-`), the ranked cases.csv (scoring) and the ledgers are not
  done here, and detail texts are shorter than sicha's.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import time


def import_duckdb():
    try:
        import duckdb
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "duckdb"])
        import duckdb
    return duckdb


# The columns of each dataset (CONTRACT.md section 1): canonical name, Chinese aliases, required.
COLUMNS = {
    "hukou": [
        ("id", ["公民身份号码", "身份证号", "身份证件号"], True),
        ("name", ["姓名"], True),
        ("sex", ["性别"], True),
        ("birth_date", ["出生日期"], True),
        ("household_id", ["户号"], True),
        ("region_code", ["户籍地区划代码", "行政区划代码"], True),
        ("status", ["户籍状态"], True),
    ],
    "xueji": [
        ("student_no", ["全国学籍号", "学籍号"], True),
        ("id", ["身份证件号", "身份证号"], True),
        ("name", ["姓名"], True),
        ("sex", ["性别"], True),
        ("birth_date", ["出生日期"], True),
        ("school_code", ["学校标识码"], True),
        ("school_region_code", ["学校所在地区划代码"], True),
        ("grade", ["年级"], True),
        ("status", ["学籍状态"], True),
        ("returned", ["复学标记"], False),
    ],
    "roster": [
        ("id", ["身份证件号", "身份证号"], True),
        ("name", ["姓名"], True),
        ("school_code", ["学校标识码"], True),
        ("grade", ["年级"], True),
        ("days_expected", ["应到天数"], True),
        ("days_absent", ["缺勤天数"], True),
        ("last_present", ["最近到校日期"], False),
    ],
    "poverty": [
        ("household_id", ["户编号"], True),
        ("id", ["证件号码", "身份证号"], True),
        ("name", ["姓名"], True),
        ("region_code", ["行政区划代码"], True),
        ("category", ["监测类别", "户类型"], True),
        ("disabled", ["残疾"], False),
        ("left_behind", ["留守"], False),
        ("orphan", ["孤儿"], False),
        ("single_parent", ["单亲"], False),
        ("relocated", ["易地搬迁"], False),
    ],
}
DATASETS = ["hukou", "xueji", "roster", "poverty"]

# Every comparison and the datasets it needs (Verification.swift, FindingCode.needs).
NEEDS = {
    "HUKOU_NO_XUEJI": {"hukou", "xueji"},
    "XUEJI_DROPPED_OUT": {"xueji"},
    "XUEJI_NO_HUKOU": {"xueji", "hukou"},
    "XUEJI_HUKOU_INACTIVE": {"xueji", "hukou"},
    "IDENTITY_MISMATCH": {"xueji", "hukou"},
    "ENROLLED_NOT_PRESENT": {"roster", "xueji"},
    "PRESENT_NOT_ENROLLED": {"roster", "xueji"},
    "SCHOOL_MISMATCH": {"roster", "xueji"},
    "POVERTY_CHILD_NOT_IN_SCHOOL": {"poverty", "xueji"},
    "POVERTY_NO_HUKOU": {"poverty", "hukou"},
}
RECORD_CODES = ["ID_INVALID", "ID_BIRTH_MISMATCH", "ID_SEX_MISMATCH", "DUPLICATE_ID", "CHRONIC_ABSENCE"]

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
PROVINCES = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
             50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]


def sql_string(s):
    return "'" + s.replace("'", "''") + "'"


def macros(as_of):
    """SQL macros for trimming, dates, codes and ID numbers (IDNumber.swift, Codes.swift, CivilDate.swift)."""
    checksum = " + ".join(f"(k // {10 ** (16 - i)} % 10) * {w}" for i, w in enumerate(WEIGHTS))
    return f"""
    -- Surrounding spaces, tabs and ideographic spaces (U+3000) go; a missing field is empty.
    CREATE MACRO tr(s) AS trim(coalesce(s, ''), ' ' || chr(9) || chr(12288));
    CREATE MACRO real_ymd(y, m, d) AS (y BETWEEN 1 AND 9999 AND m BETWEEN 1 AND 12 AND d BETWEEN 1 AND
        CASE WHEN m = 2 THEN CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0 THEN 29 ELSE 28 END
             WHEN m IN (4, 6, 9, 11) THEN 30 ELSE 31 END);
    -- A stated birth date (trimmed field f) as yyyymmdd, not yet checked to be a real date: YYYY-MM-DD,
    -- YYYYMMDD or YYYY/MM/DD (month and day of one or two digits when separated); 0 when unreadable.
    CREATE MACRO date_digits(f) AS CASE
        WHEN regexp_full_match(f, '[0-9]{{8}}|[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}|[0-9]{{4}}/[0-9]{{2}}/[0-9]{{2}}')
            THEN CAST(replace(replace(f, '-', ''), '/', '') AS INT)
        WHEN strlen(f) BETWEEN 8 AND 10 AND regexp_full_match(f, '[0-9]{{4}}(-[0-9]+-[0-9]+|/[0-9]+/[0-9]+)')
             AND TRY_CAST(split_part(f, f[5], 2) AS INT) BETWEEN 1 AND 12
             AND TRY_CAST(split_part(f, f[5], 3) AS INT) BETWEEN 1 AND 31
            THEN CAST(f[1:4] AS INT) * 10000 + CAST(split_part(f, f[5], 2) AS INT) * 100
                 + CAST(split_part(f, f[5], 3) AS INT)
        ELSE 0 END;
    -- v (yyyymmdd) when it is a real date, else 0.
    CREATE MACRO real_or_zero(v) AS CASE WHEN real_ymd(v // 10000, v // 100 % 100, v % 100) THEN v ELSE 0 END;
    -- A stated sex: 1 male, 2 female, 0 empty or unreadable.
    CREATE MACRO stated_sex(f) AS CASE WHEN f IN ('1', 'M', 'm', '男') THEN 1
                                       WHEN f IN ('2', 'F', 'f', '女') THEN 2 ELSE 0 END;
    -- A trimmed ID field normalised: full-width digits and X to ASCII, x to X (the common case,
    -- 17 ASCII digits and a digit or X, as it is).
    CREATE MACRO id_norm(t) AS CASE WHEN regexp_full_match(t, '[0-9]{{17}}[0-9X]') THEN t
                                    ELSE translate(t, '０１２３４５６７８９Ｘｘx', '0123456789XXX') END;
    -- The 17 leading digits of a normalised ID as an integer (a 15-digit number gets 19 before its year).
    CREATE MACRO id_key(n) AS CASE
        WHEN regexp_full_match(n, '[0-9]{{17}}[0-9X]') THEN CAST(n[1:17] AS BIGINT)
        WHEN regexp_full_match(n, '[0-9]{{15}}') THEN CAST(n[1:6] || '19' || n[7:15] AS BIGINT) END;
    -- ISO 7064 MOD 11-2 check character of the 17 digits in k.
    CREATE MACRO check_char(k) AS substr('10X98765432', CAST(({checksum}) % 11 AS INT) + 1, 1);
    CREATE MACRO ymd_of(k) AS CAST(k // 1000 % 100000000 AS INT);
    -- Whether k (from id_key of the normalised n) is a valid ID: province, real date in range, check character.
    CREATE MACRO id_valid(n, k) AS (k IS NOT NULL
        AND CAST(k // 1000000000000000 AS INT) IN ({", ".join(map(str, PROVINCES))})
        AND real_ymd(ymd_of(k) // 10000, ymd_of(k) // 100 % 100, ymd_of(k) % 100)
        AND ymd_of(k) BETWEEN 19000101 AND {as_of}
        AND (length(n) = 15 OR n[18] = check_char(k)));
    CREATE MACRO id18(k) AS CAST(k AS VARCHAR) || check_char(k);
    -- Why a non-empty ID field is invalid (the first words of IDProblem's descriptions).
    CREATE MACRO id_problem(raw) AS CASE
        WHEN regexp_full_match(id_norm(tr(raw)), '[0-9.+Ee]*[Ee][0-9.+Ee]*') THEN 'spreadsheet: scientific notation'
        WHEN length(id_norm(tr(raw))) NOT IN (15, 18) THEN 'length: ' || length(id_norm(tr(raw))) || ' characters'
        WHEN id_key(id_norm(tr(raw))) IS NULL THEN 'characters: not 17 digits and a check character'
        WHEN CAST(id_key(id_norm(tr(raw))) // 1000000000000000 AS INT)
             NOT IN ({", ".join(map(str, PROVINCES))}) THEN 'province'
        WHEN NOT real_ymd(ymd_of(id_key(id_norm(tr(raw)))) // 10000, ymd_of(id_key(id_norm(tr(raw)))) // 100 % 100,
                          ymd_of(id_key(id_norm(tr(raw)))) % 100) THEN 'date: birth date not a date'
        WHEN ymd_of(id_key(id_norm(tr(raw)))) < 19000101 THEN 'date: birth date before 1900'
        WHEN ymd_of(id_key(id_norm(tr(raw)))) > {as_of} THEN 'date: birth date after the as-of date'
        WHEN id_norm(tr(raw))[16:18] = '000' THEN 'spreadsheet: last digits zeroed by 15-digit precision'
        ELSE 'checksum' END;
    CREATE MACRO hukou_status(f) AS CASE lower(f)
        WHEN 'normal' THEN 0 WHEN '正常' THEN 0 WHEN 'moved_out' THEN 1 WHEN '迁出' THEN 1
        WHEN 'deceased' THEN 2 WHEN '死亡' THEN 2 WHEN 'cancelled' THEN 3 WHEN '注销' THEN 3 END;
    -- 0 enrolled, 1 suspended, 2 home_education (the active ones), 3 transferred_out, 4 dropped_out,
    -- 5 graduated, 6 deceased.
    CREATE MACRO xueji_status(f) AS CASE lower(f)
        WHEN 'enrolled' THEN 0 WHEN '在读' THEN 0 WHEN 'suspended' THEN 1 WHEN '休学' THEN 1
        WHEN 'home_education' THEN 2 WHEN '送教上门' THEN 2 WHEN 'transferred_out' THEN 3 WHEN '转出' THEN 3
        WHEN 'dropped_out' THEN 4 WHEN '辍学' THEN 4 WHEN 'graduated' THEN 5 WHEN '毕业' THEN 5
        WHEN 'deceased' THEN 6 WHEN '死亡' THEN 6 END;
    CREATE MACRO status_name(s) AS ['enrolled', 'suspended', 'home_education', 'transferred_out',
                                    'dropped_out', 'graduated', 'deceased'][s + 1];
    CREATE MACRO poverty_category(f) AS CASE lower(f)
        WHEN 'not_lifted' THEN 0 WHEN '未脱贫户' THEN 0 WHEN 'unstable' THEN 1 WHEN '脱贫不稳定户' THEN 1
        WHEN 'edge' THEN 2 WHEN '边缘易致贫户' THEN 2 WHEN 'sudden' THEN 3 WHEN '突发严重困难户' THEN 3
        WHEN 'lifted' THEN 4 WHEN '脱贫户' THEN 4 END;
    -- A grade 1-9: 1…9, 一年级…九年级, 初一…初三.
    CREATE MACRO grade_of(f) AS CASE
        WHEN regexp_full_match(f, '[1-9]') THEN CAST(f AS INT)
        WHEN list_position(['一年级', '二年级', '三年级', '四年级', '五年级', '六年级', '七年级', '八年级', '九年级'], f) > 0
            THEN list_position(['一年级', '二年级', '三年级', '四年级', '五年级', '六年级', '七年级', '八年级', '九年级'], f)
        WHEN f IN ('初一', '初二', '初三') THEN list_position(['初一', '初二', '初三'], f) + 6 END;
    -- A count of days: at most six digits.
    CREATE MACRO days_of(f) AS CASE WHEN regexp_full_match(f, '[0-9]{{1,6}}') THEN CAST(f AS INT) END;
    """


def normalise_header(name):
    """Header matching trims spaces (ASCII and ideographic) and ignores case (Schema.normalise)."""
    return name.lstrip(" \t\u3000\ufeff").rstrip(" \t\u3000").lower()


def read_file(con, dataset, path, fi):
    """A SELECT over one file that gives the dataset's columns by canonical name (NULL when absent)."""
    if path == "-":
        sys.exit("duckdb_checks: standard input is not supported")
    compression = "zstd" if path.endswith(".zst") else "none"
    # The header line, read as one field and split here: sniffing a whole file would stop at its
    # broken rows, so the data are read below with the dialect given and no sniffing.
    try:
        line = con.execute(f"""
            SELECT * FROM read_csv({sql_string(path)}, compression='{compression}', auto_detect=false,
                header=false, columns={{'h': 'VARCHAR'}}, delim=chr(1), quote='', escape='',
                ignore_errors=true) LIMIT 1""").fetchall()
    except Exception as e:  # an unreadable file: sicha stops with exit status 2 as well
        print(f"{path}: {e}", file=sys.stderr)
        sys.exit(2)
    if not line or line[0][0] is None:
        print(f"{path}: empty file: no header row", file=sys.stderr)
        sys.exit(2)
    header = next(csv.reader([line[0][0]]))
    found = {}
    for position, raw in enumerate(header):
        name = normalise_header(raw)
        for column, aliases, _ in COLUMNS[dataset]:
            if name == column or name in [normalise_header(a) for a in aliases]:
                if column in found:
                    print(f"{path}: column {column} appears twice in the header", file=sys.stderr)
                    sys.exit(2)
                found[column] = position
    missing = [c for c, _, required in COLUMNS[dataset] if required and c not in found]
    if missing:
        print(f"{path}: missing required column(s) {', '.join(missing)} for {dataset}", file=sys.stderr)
        sys.exit(2)
    types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    # Rows that are not CSV (wrong field count, broken quoting, bad UTF-8) are skipped and kept in
    # rejects_<fi> for the accounting.
    source = (f"read_csv({sql_string(path)}, compression='{compression}', auto_detect=false, header=true, "
              f"columns={{{types}}}, delim=',', quote='\"', escape='\"', "
              f"store_rejects=true, rejects_table='rejects_{fi}', rejects_scan='rejects_scan_{fi}')")
    columns = ", ".join(
        f'c{found[c]} AS "{c}"' if c in found else f'NULL::VARCHAR AS "{c}"' for c, _, _ in COLUMNS[dataset])
    return f"(SELECT {fi} AS fi, {columns} FROM {source})"


# Each dataset's rows, decoded in steps, each macro applied to a column of the step before (a
# macro's argument is pasted in wherever it occurs): fields trimmed; ID normalised and codes read;
# the ID's digits and whether sicha would reject the row; whether the ID is valid. `ok` is false
# for a row sicha rejects (a required value empty or a code unreadable); `key` is the ID's 17
# digits when valid; `bad_id` the raw field when it is non-empty and invalid. Rows stay in file
# order, so `rowid` orders them as sicha's (file, line) does.
def decode(dataset, source):
    """The SELECT that decodes one file of `dataset` read by `source`."""
    trimmed, decoded, ok, kept = {
        "hukou": (
            "name, sex, birth_date, household_id, region_code, status",
            "hukou_status(status) AS status_code, stated_sex(sex) AS sex_code, date_digits(birth_date) AS birth",
            "n <> '' AND name <> '' AND household_id <> '' AND region_code <> '' AND status_code IS NOT NULL",
            "name, region_code AS region, status_code AS status, sex_code AS sex, real_or_zero(birth) AS birth"),
        "xueji": (
            "student_no, name, sex, birth_date, school_code, school_region_code, grade, status",
            "xueji_status(status) AS status_code, grade_of(grade) AS grade_code, stated_sex(sex) AS sex_code, "
            "date_digits(birth_date) AS birth",
            "student_no <> '' AND (n <> '' OR lower(student_no[1]) IN ('j', 'l')) AND name <> '' "
            "AND school_code <> '' AND school_region_code <> '' AND status_code IS NOT NULL "
            "AND grade_code IS NOT NULL",
            "name, school_code AS school, school_region_code AS region, status_code AS status, "
            "grade_code AS grade, sex_code AS sex, real_or_zero(birth) AS birth"),
        "roster": (
            "name, school_code, grade, days_expected, days_absent",
            "grade_of(grade) AS grade_code, days_of(days_expected) AS expected, days_of(days_absent) AS absent",
            "n <> '' AND name <> '' AND school_code <> '' AND grade_code IS NOT NULL AND expected IS NOT NULL "
            "AND absent IS NOT NULL",
            "name, school_code AS school, grade_code AS grade, expected, absent"),
        "poverty": (
            "household_id, name, region_code, category",
            "poverty_category(category) AS category_code",
            "n <> '' AND household_id <> '' AND name <> '' AND region_code <> '' AND category_code IS NOT NULL",
            "name, region_code AS region, household_id AS household, category_code AS category"),
    }[dataset]
    trims = ", ".join(f"tr({c}) AS {c}" for c in trimmed.split(", "))
    return f"""
        SELECT fi, ok, CASE WHEN valid THEN k END AS key, CASE WHEN NOT valid AND n <> '' THEN id END AS bad_id,
               {kept}
        FROM (SELECT *, id_valid(n, k) AS valid
        FROM (SELECT *, id_key(n) AS k, ({ok}) AS ok
        FROM (SELECT *, {decoded}, id_norm(t) AS n
        FROM (SELECT fi, id, tr(id) AS t, {trims} FROM {source}))))"""


def findings_sql(given, p):
    """One SELECT per finding code, each giving (code, dataset, fi, ord, id, name, region_code, school_code, detail)."""
    scope = f"ymd_of(key) BETWEEN {p['scope_lo']} AND {p['scope_hi']}"
    parts = []

    def add(code, sql):
        parts.append(f"SELECT '{code}' AS code, * FROM ({sql})")

    # 四查: record-level checks.
    for ds in DATASETS:
        if ds not in given:
            continue
        region = "school_region(school)" if ds == "roster" else "region"
        school = "school" if ds in ("xueji", "roster") else "''"
        add("ID_INVALID", f"SELECT '{ds}', fi, ord, bad_id, name, {region}, {school}, id_problem(bad_id) "
                          f"FROM {ds} WHERE bad_id IS NOT NULL")
    for ds in ("hukou", "xueji"):
        if ds not in given:
            continue
        school = "school" if ds == "xueji" else "''"
        add("ID_BIRTH_MISMATCH", f"""
            SELECT '{ds}', fi, ord, id18(key), name, region, {school},
                   CASE WHEN birth = 0 THEN 'birth_date empty or unreadable' ELSE 'birth_date ' || birth END
                   || '; ID says ' || ymd_of(key)
            FROM {ds} WHERE key IS NOT NULL AND birth <> ymd_of(key)""")
        add("ID_SEX_MISMATCH", f"""
            SELECT '{ds}', fi, ord, id18(key), name, region, {school},
                   CASE WHEN sex = 0 THEN 'sex empty or unreadable' ELSE 'sex ' || sex END
                   || '; ID says ' || (2 - key % 2)
            FROM {ds} WHERE key IS NOT NULL AND sex <> 2 - key % 2""")
    if "roster" in given:
        add("CHRONIC_ABSENCE", f"""
            SELECT 'roster', fi, ord, coalesce(id18(key), bad_id), name, school_region(school), school,
                   'absent ' || absent || ' of ' || expected || ' days'
            FROM roster WHERE expected > 0 AND absent::DOUBLE / expected::DOUBLE >= {p['threshold']}""")
    # DUPLICATE_ID: every record of an ID found more than once in its register.
    if "hukou" in given:
        add("DUPLICATE_ID", """
            SELECT 'hukou', fi, ord, id18(key), name, region, '', 'hukou records with status normal'
            FROM hukou WHERE status = 0 AND key IN (SELECT key FROM hk WHERE n_normal > 1)""")
    if "xueji" in given:
        add("DUPLICATE_ID", """
            SELECT 'xueji', fi, ord, id18(key), name, region, school, 'xueji records with an active status'
            FROM xueji WHERE status <= 2 AND key IN (SELECT key FROM xk WHERE n_active > 1)""")
    if "roster" in given:
        add("DUPLICATE_ID", """
            SELECT 'roster', fi, ord, id18(key), name, school_region(school), school, 'roster rows'
            FROM roster WHERE key IN (SELECT key FROM rk WHERE n > 1)""")
    if "poverty" in given:
        add("DUPLICATE_ID", """
            SELECT 'poverty', fi, ord, id18(key), name, region, '', 'poverty households'
            FROM poverty WHERE key IN (SELECT key FROM pk WHERE n_households > 1)""")

    # 三比对: comparisons, each named at the person's first record in the code's dataset.
    def ran(code):
        return NEEDS[code] <= given

    last_status = ("CASE WHEN x.n IS NULL THEN 'no xueji record' ELSE 'last xueji record: ' "
                   "|| status_name(x.last_status) || ', grade ' || x.last_grade END")
    if ran("HUKOU_NO_XUEJI"):
        add("HUKOU_NO_XUEJI", f"""
            SELECT 'hukou', r.fi, r.ord, id18(h.key), r.name, r.region, '', {last_status}
            FROM hk h LEFT JOIN xk x USING (key) JOIN hukou r ON r.ord = h.first
            WHERE {scope.replace('key', 'h.key')} AND h.n_normal > 0
              AND NOT coalesce(x.accounted, false) AND NOT coalesce(x.dropped, false)""")
    if ran("XUEJI_DROPPED_OUT"):
        add("XUEJI_DROPPED_OUT", f"""
            SELECT 'xueji', r.fi, r.ord, id18(x.key), r.name, r.region, r.school, 'dropped_out in grade ' || x.dropped_grade
            FROM xk x JOIN xueji r ON r.ord = x.first
            WHERE {scope.replace('key', 'x.key')} AND x.dropped AND NOT x.accounted""")
    if ran("XUEJI_NO_HUKOU"):
        add("XUEJI_NO_HUKOU", """
            SELECT 'xueji', r.fi, r.ord, id18(x.key), r.name, r.region, r.school, 'active xueji record, no hukou record'
            FROM xk x LEFT JOIN hk h USING (key) JOIN xueji r ON r.ord = x.first
            WHERE x.n_active > 0 AND h.key IS NULL""")
    if ran("XUEJI_HUKOU_INACTIVE"):
        add("XUEJI_HUKOU_INACTIVE", """
            SELECT 'xueji', r.fi, r.ord, id18(x.key), r.name, r.region, r.school, 'hukou deceased or cancelled (空挂学籍)'
            FROM xk x JOIN hk h USING (key) JOIN xueji r ON r.ord = x.first
            WHERE x.n_active > 0 AND h.all_inactive""")
    if ran("IDENTITY_MISMATCH"):
        add("IDENTITY_MISMATCH", """
            SELECT 'xueji', r.fi, r.ord, id18(i.key), r.name, r.region, r.school,
                   concat_ws('; ', CASE WHEN i.name_differs THEN 'name' END, CASE WHEN i.birth_differs THEN 'birth_date' END,
                             CASE WHEN i.sex_differs THEN 'sex' END) || ' (xueji/hukou)'
            FROM identity i JOIN xk x USING (key) JOIN xueji r ON r.ord = x.first
            WHERE i.name_differs OR i.birth_differs OR i.sex_differs""")
    if ran("ENROLLED_NOT_PRESENT"):
        add("ENROLLED_NOT_PRESENT", """
            SELECT 'xueji', r.fi, r.ord, id18(x.key), r.name, r.region, r.school, 'enrolled at ' || x.enrolled_school || ', on no roster'
            FROM xk x LEFT JOIN rk k USING (key) JOIN xueji r ON r.ord = x.first
            WHERE x.enrolled AND k.key IS NULL""")
    if ran("PRESENT_NOT_ENROLLED"):
        add("PRESENT_NOT_ENROLLED", f"""
            SELECT 'roster', r.fi, r.ord, id18(k.key), r.name, school_region(r.school), r.school,
                   'on the roster, no active xueji record (' || {last_status} || ')'
            FROM rk k LEFT JOIN xk x USING (key) JOIN roster r ON r.ord = k.first
            WHERE coalesce(x.n_active, 0) = 0""")
    if ran("SCHOOL_MISMATCH"):
        add("SCHOOL_MISMATCH", """
            SELECT 'roster', r.fi, r.ord, id18(k.key), r.name, school_region(r.school), r.school,
                   'enrolled at ' || x.enrolled_school || ', counted at ' || r.school
            FROM rk k JOIN xk x USING (key) LEFT JOIN school_matched m USING (key)
                 JOIN roster r ON r.ord = k.first
            WHERE x.enrolled AND m.key IS NULL""")
    if ran("POVERTY_CHILD_NOT_IN_SCHOOL"):
        on_roster = "OR (x.enrolled AND rk.key IS NULL)" if "roster" in given else ""
        roster_join = "LEFT JOIN rk USING (key)" if "roster" in given else ""
        add("POVERTY_CHILD_NOT_IN_SCHOOL", f"""
            SELECT 'poverty', r.fi, r.ord, id18(k.key), r.name, r.region, '',
                   CASE WHEN NOT coalesce(x.accounted, false) THEN 'not accounted for (' || {last_status} || ')'
                        ELSE 'enrolled, on no roster' END
            FROM pk k LEFT JOIN xk x USING (key) {roster_join} JOIN poverty r ON r.ord = k.first
            WHERE {scope.replace('key', 'k.key')} AND (NOT coalesce(x.accounted, false) {on_roster})""")
    if ran("POVERTY_NO_HUKOU"):
        add("POVERTY_NO_HUKOU", """
            SELECT 'poverty', r.fi, r.ord, id18(k.key), r.name, r.region, '', 'no hukou record'
            FROM pk k LEFT JOIN hk h USING (key) JOIN poverty r ON r.ord = k.first
            WHERE h.key IS NULL""")
    return "\nUNION ALL\n".join(parts)


# Per-person facts of each register (the `person` function of Verification.swift, one table a register).
AGGREGATES = {
    "hukou": """
        CREATE TABLE hk AS SELECT key, count(*) AS n, count(*) FILTER (WHERE status = 0) AS n_normal,
            bool_and(status IN (2, 3)) AS all_inactive, min(ord) AS first,
            arg_min(name, ord) FILTER (WHERE status = 0) AS ref_name,
            arg_min(sex, ord) FILTER (WHERE status = 0) AS ref_sex,
            arg_min(birth, ord) FILTER (WHERE status = 0) AS ref_birth
        FROM hukou WHERE key IS NOT NULL GROUP BY key""",
    "xueji": """
        CREATE TABLE xk AS SELECT key, count(*) AS n, count(*) FILTER (WHERE status <= 2) AS n_active,
            bool_or(status <= 2 OR (status = 5 AND grade = 9)) AS accounted, bool_or(status = 4) AS dropped,
            arg_min(grade, ord) FILTER (WHERE status = 4) AS dropped_grade,
            bool_or(status = 0) AS enrolled, min(ord) AS first,
            string_agg(school, '/' ORDER BY ord) FILTER (WHERE status = 0) AS enrolled_school,
            arg_max(status, ord) AS last_status, arg_max(grade, ord) AS last_grade
        FROM xueji WHERE key IS NOT NULL GROUP BY key""",
    "roster": """
        CREATE TABLE rk AS SELECT key, count(*) AS n, min(ord) AS first
        FROM roster WHERE key IS NOT NULL GROUP BY key""",
    "poverty": """
        CREATE TABLE pk AS SELECT key, count(*) AS n, count(DISTINCT household) AS n_households, min(ord) AS first
        FROM poverty WHERE key IS NOT NULL GROUP BY key""",
}


class Traced:
    """A connection that prints how long each statement took (--trace)."""

    def __init__(self, con):
        self.con = con

    def execute(self, sql, *rest):
        t = time.monotonic()
        result = self.con.execute(sql, *rest)
        words = " ".join(sql.split())[:70]
        print(f"duckdb_checks: trace: {time.monotonic() - t:7.3f} s  {words}", file=sys.stderr)
        return result

    def __getattr__(self, name):
        return getattr(self.con, name)


def main():
    ap = argparse.ArgumentParser(description="sicha's checks in DuckDB SQL")
    for ds in DATASETS:
        ap.add_argument(f"--{ds}", action="append", default=[], metavar="FILE")
    ap.add_argument("--out", required=True)
    ap.add_argument("--as-of", required=True, help="YYYY-MM-DD")
    ap.add_argument("--school-year", type=int, required=True)
    ap.add_argument("--min-age", type=int, default=6)
    ap.add_argument("--max-age", type=int, default=15)
    ap.add_argument("--absence-threshold", type=float, default=0.2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--expect", metavar="SUMMARY", help="a sicha summary.json to compare the counts with")
    ap.add_argument("--trace", action="store_true", help="print the time of each statement on stderr")
    args = ap.parse_args()
    duckdb = import_duckdb()

    y = args.school_year
    p = {
        "scope_lo": (y - args.max_age - 1) * 10000 + 901,
        "scope_hi": (y - args.min_age) * 10000 + 831,
        "threshold": repr(args.absence_threshold),
    }
    as_of = int(args.as_of.replace("-", ""))
    given = {ds for ds in DATASETS if getattr(args, ds)}
    files = [(ds, path) for ds in DATASETS for path in getattr(args, ds)]
    os.makedirs(args.out, exist_ok=True)

    started = time.monotonic()
    con = duckdb.connect()
    if args.trace:
        con = Traced(con)
    con.execute(f"SET threads = {args.threads}")
    con.execute(macros(as_of))

    # Read every file into its dataset's table, in file order.
    accounting = []
    starts = []
    for fi, (ds, path) in enumerate(files):
        query = decode(ds, read_file(con, ds, path, fi))
        if any(d == ds for d, _ in files[:fi]):
            con.execute(f"INSERT INTO {ds}_all {query}")
        else:
            con.execute(f"CREATE TABLE {ds}_all AS {query}")
        start, accepted, filtered = con.execute(f"""
            SELECT min(rowid), count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok)
            FROM {ds}_all WHERE fi = {fi}""").fetchone()
        skipped = con.execute(f"SELECT count(DISTINCT line) FROM rejects_{fi}").fetchone()[0]
        starts.append((fi, path, start or 0))
        accounting.append({"dataset": ds, "file": path, "rows_read": accepted + filtered + skipped,
                           "rows_accepted": accepted, "rows_rejected": filtered + skipped})
    for ds in DATASETS:
        if ds in given:
            con.execute(f"CREATE VIEW {ds} AS SELECT rowid AS ord, * EXCLUDE (ok) FROM {ds}_all WHERE ok")
            con.execute(AGGREGATES[ds])
    # The region of a school, from its first xueji record (for roster findings).
    if "xueji" in given:
        con.execute("CREATE TABLE schools AS SELECT school, arg_min(region, ord) AS region FROM xueji GROUP BY school")
    else:
        con.execute("CREATE TABLE schools (school VARCHAR, region VARCHAR)")
    con.execute("CREATE MACRO school_region(s) AS coalesce((SELECT region FROM schools WHERE school = s), '')")
    if {"xueji", "hukou"} <= given:
        # IDENTITY_MISMATCH: the xueji records against the person's first `normal` hukou record.
        con.execute("""
            CREATE TABLE identity AS SELECT x.key,
                bool_or(x.name <> h.ref_name) AS name_differs,
                bool_or(h.ref_birth <> 0 AND x.birth <> 0 AND x.birth <> h.ref_birth) AS birth_differs,
                bool_or(h.ref_sex <> 0 AND x.sex <> 0 AND x.sex <> h.ref_sex) AS sex_differs
            FROM xueji x JOIN hk h USING (key) WHERE h.n_normal > 0 GROUP BY x.key""")
    if {"xueji", "roster"} <= given:
        # People with an `enrolled` record at a school where they are on the roster.
        con.execute("""
            CREATE TABLE school_matched AS SELECT DISTINCT x.key FROM xueji x JOIN roster r
            ON x.key = r.key AND x.school = r.school WHERE x.status = 0""")

    con.execute(f"""
        CREATE TABLE findings AS SELECT code, dataset, fi, ord, id, name, region_code, school_code, detail
        FROM ({findings_sql(given, p)}) f(code, dataset, fi, ord, id, name, region_code, school_code, detail)""")
    # A finding's `row` is its ordinal among the rows DuckDB parsed in its file.
    con.execute("CREATE TABLE files (fi INT, path VARCHAR, start BIGINT)")
    con.executemany("INSERT INTO files VALUES (?, ?, ?)", starts)
    exceptions = os.path.join(args.out, "exceptions.csv")
    con.execute(f"""
        COPY (SELECT code, dataset, id, name, region_code, school_code, path AS file,
                     ord - start + 1 AS row, detail
              FROM findings JOIN files USING (fi) ORDER BY code, fi, ord)
        TO {sql_string(exceptions)} (HEADER, DELIMITER ',')""")
    counts = dict(con.sql("SELECT code, count(*) FROM findings GROUP BY code ORDER BY code").fetchall())
    elapsed = time.monotonic() - started

    codes = sorted(RECORD_CODES + [c for c in NEEDS if NEEDS[c] <= given])
    summary = {"engine": f"duckdb {duckdb.__version__}", "threads": args.threads, "seconds": round(elapsed, 3),
               "files": accounting, "findings": {c: {"total": counts.get(c, 0)} for c in codes}}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2, ensure_ascii=False)
        f.write("\n")

    if not args.expect:
        for c in codes:
            print(f"{c:30} {counts.get(c, 0):>10}")
        return 0
    with open(args.expect) as f:
        sicha = {c: v["total"] for c, v in json.load(f)["findings"].items()}
    differ = 0
    print(f"{'code':30} {'duckdb':>10} {'sicha':>10}")
    for c in sorted(set(codes) | set(sicha)):
        mark = "" if counts.get(c, 0) == sicha.get(c, 0) else "  differs"
        differ += bool(mark)
        print(f"{c:30} {counts.get(c, 0):>10} {sicha.get(c, 0):>10}{mark}")
    print("counts equal for every code" if not differ else f"{differ} code(s) differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
