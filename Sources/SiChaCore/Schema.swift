/// The four registers that 控辍保学 work cross-checks.
public enum Dataset: Int, CaseIterable, Sendable, Comparable {
    /// 户籍人口: household registration.
    case hukou
    /// 学籍: student registration.
    case xueji
    /// 在校生: schools' real-name headcount and attendance.
    case roster
    /// 建档立卡/防返贫监测对象: the poverty register.
    case poverty

    public var name: String {
        switch self {
        case .hukou: return "hukou"
        case .xueji: return "xueji"
        case .roster: return "roster"
        case .poverty: return "poverty"
        }
    }

    public static func < (a: Dataset, b: Dataset) -> Bool { a.rawValue < b.rawValue }

    /// The columns of this dataset's CSV header, in the order of `Column`'s raw values.
    public var columns: [ColumnSpec] { Schema.columns[rawValue] }
}

/// A column of a register: canonical name, the Chinese headers of the real systems, and whether it must be there.
public struct ColumnSpec: Sendable {
    public let name: String
    public let aliases: [String]
    public let required: Bool
}

/// The columns the engine reads, one enum per dataset so that a decoder names them, not positions.
enum HukouColumn: Int, CaseIterable { case id, name, sex, birthDate, householdID, regionCode, status }
enum XuejiColumn: Int, CaseIterable { case studentNo, id, name, sex, birthDate, schoolCode, schoolRegionCode, grade, status, returned }
enum RosterColumn: Int, CaseIterable { case id, name, schoolCode, grade, daysExpected, daysAbsent, lastPresent }
enum PovertyColumn: Int, CaseIterable { case householdID, id, name, regionCode, category, disabled, leftBehind, orphan, singleParent, relocated }

enum Schema {
    private static func col(_ name: String, _ aliases: [String], required: Bool = true) -> ColumnSpec {
        ColumnSpec(name: name, aliases: aliases, required: required)
    }

    static let columns: [[ColumnSpec]] = [
        [
            col("id", ["公民身份号码", "身份证号", "身份证件号"]),
            col("name", ["姓名"]),
            col("sex", ["性别"]),
            col("birth_date", ["出生日期"]),
            col("household_id", ["户号"]),
            col("region_code", ["户籍地区划代码", "行政区划代码"]),
            col("status", ["户籍状态"]),
        ],
        [
            col("student_no", ["全国学籍号", "学籍号"]),
            col("id", ["身份证件号", "身份证号"]),
            col("name", ["姓名"]),
            col("sex", ["性别"]),
            col("birth_date", ["出生日期"]),
            col("school_code", ["学校标识码"]),
            col("school_region_code", ["学校所在地区划代码"]),
            col("grade", ["年级"]),
            col("status", ["学籍状态"]),
            col("returned", ["复学标记"], required: false),
        ],
        [
            col("id", ["身份证件号", "身份证号"]),
            col("name", ["姓名"]),
            col("school_code", ["学校标识码"]),
            col("grade", ["年级"]),
            col("days_expected", ["应到天数"]),
            col("days_absent", ["缺勤天数"]),
            col("last_present", ["最近到校日期"], required: false),
        ],
        [
            col("household_id", ["户编号"]),
            col("id", ["证件号码", "身份证号"]),
            col("name", ["姓名"]),
            col("region_code", ["行政区划代码"]),
            col("category", ["监测类别", "户类型"]),
            col("disabled", ["残疾"], required: false),
            col("left_behind", ["留守"], required: false),
            col("orphan", ["孤儿"], required: false),
            col("single_parent", ["单亲"], required: false),
            col("relocated", ["易地搬迁"], required: false),
        ],
    ]

    /// Maps header fields to column positions: `result[column] = header position` or -1.
    /// Throws a one-line message for a missing required column or a column given twice.
    static func resolve(header: [String], dataset: Dataset) throws(InputError) -> [Int] {
        let specs = dataset.columns
        var positions = [Int](repeating: -1, count: specs.count)
        for (position, rawName) in header.enumerated() {
            let name = normalise(rawName)
            guard let column = specs.firstIndex(where: { spec in
                normalise(spec.name) == name || spec.aliases.contains { normalise($0) == name }
            }) else { continue }
            if positions[column] >= 0 {
                throw InputError("column \(specs[column].name) appears twice in the header (columns \(positions[column] + 1) and \(position + 1))")
            }
            positions[column] = position
        }
        let missing = specs.indices.filter { specs[$0].required && positions[$0] < 0 }
        if !missing.isEmpty {
            let names = missing.map { "\(specs[$0].name) (\(specs[$0].aliases.first ?? ""))" }
            throw InputError("missing required column\(names.count > 1 ? "s" : "") \(names.joined(separator: ", ")) for \(dataset.name)")
        }
        return positions
    }

    /// Header matching trims spaces (ASCII and ideographic) and ignores ASCII case.
    static func normalise(_ name: String) -> String {
        var scalars = Substring(name).unicodeScalars
        while let f = scalars.first, f == " " || f == "\t" || f == "\u{3000}" || f == "\u{FEFF}" { scalars.removeFirst() }
        while let l = scalars.last, l == " " || l == "\t" || l == "\u{3000}" { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars)).lowercased()
    }
}

import SiChaIO
