import SiChaCore

/// A column that a generated register file can have: the engine's columns and a few extra ones
/// that real exports carry and the engine ignores.
enum Column {
    case id, name, sex, birthDate, household, region, hukouStatus
    case studentNo, school, schoolRegion, grade, xuejiStatus, returned
    case daysExpected, daysAbsent, lastPresent
    case povertyHousehold, category, disabled, leftBehind, orphan, singleParent, relocated
    case ethnicity, relation, classNo, phone, remark

    /// The header of an extra column: English, Chinese.
    var extraHeader: (String, String) {
        switch self {
        case .ethnicity: return ("ethnicity", "民族")
        case .relation: return ("relation", "与户主关系")
        case .classNo: return ("class", "班级")
        case .phone: return ("phone", "联系电话")
        default: return ("remark", "备注")
        }
    }
}

/// How birth dates and other dates are spelled (contract section 1).
enum DateStyle { case dashed, compact, slashed }

/// How `sex` is spelled: `1`/`2`, `男`/`女` or `M`/`F`.
enum SexStyle { case digit, chinese, letter }

/// How grades are spelled in xueji: `1`…`9`, `一年级`…`九年级`, or `初一`…`初三` for 7–9.
enum GradeStyle { case digit, chineseYear, juniorShort }

/// The layout of one generated file: its columns in order, header text, line ends and spellings.
struct TableFormat {
    var dataset: Dataset
    var columns: [Column]
    var header: [String]
    var fileName: String
    var compressed = true
    var bom = false
    var crlf = false
    var quoteAll = false
    var chineseCodes = false
    var dates = DateStyle.dashed
    var sex = SexStyle.digit
    var grades = GradeStyle.digit

    /// The engine's columns of each dataset, in the order of `Dataset.columns`.
    static let engineColumns: [[Column]] = [
        [.id, .name, .sex, .birthDate, .household, .region, .hukouStatus],
        [.studentNo, .id, .name, .sex, .birthDate, .school, .schoolRegion, .grade, .xuejiStatus, .returned],
        [.id, .name, .school, .grade, .daysExpected, .daysAbsent, .lastPresent],
        [.povertyHousehold, .id, .name, .region, .category, .disabled, .leftBehind, .orphan, .singleParent, .relocated],
    ]

    /// The fast form: canonical English headers in contract order, one zstd file per dataset.
    static func standard(_ dataset: Dataset) -> TableFormat {
        let columns = engineColumns[dataset.rawValue]
        return TableFormat(dataset: dataset, columns: columns, header: dataset.columns.map(\.name),
                           fileName: "\(dataset.name).csv.zst")
    }

    /// File `index` (0-based) of a dataset in the varied form: the three styles of contract
    /// section 1 in turn, with columns shuffled by `random`.
    static func variant(_ dataset: Dataset, index: Int, random: inout SeededRandom) -> TableFormat {
        let style = index % 3
        var columns = engineColumns[dataset.rawValue]
        switch (style, dataset) {
        case (0, .hukou): columns += [.ethnicity, .relation]
        case (0, .xueji), (0, .roster): columns.append(.classNo)
        case (0, .poverty): columns.append(.relation)
        case (1, _): columns.append(.phone)
        default: columns.append(.remark)
        }
        for i in stride(from: columns.count - 1, to: 0, by: -1) { columns.swapAt(i, random.below(i + 1)) }
        let specs = dataset.columns
        let header = columns.map { column -> String in
            guard let i = engineColumns[dataset.rawValue].firstIndex(of: column) else {
                return style == 1 ? column.extraHeader.0 : column.extraHeader.1
            }
            switch style {
            case 0: return specs[i].aliases[0]
            case 1: return i % 2 == 0 ? " \(specs[i].name.uppercased()) " : specs[i].name.capitalized
            default: return specs[i].aliases[specs[i].aliases.count - 1]
            }
        }
        var format = TableFormat(dataset: dataset, columns: columns, header: header,
                                 fileName: "\(dataset.name)-\(index + 1).csv\(style == 1 ? "" : ".zst")")
        switch style {
        case 0:
            format.bom = true; format.crlf = true; format.chineseCodes = true
            format.sex = .chinese; format.grades = .juniorShort
        case 1:
            format.compressed = false; format.dates = .compact; format.sex = .letter
        default:
            format.crlf = true; format.quoteAll = true; format.chineseCodes = true
            format.dates = .slashed; format.grades = .chineseYear
        }
        return format
    }
}

extension String {
    /// First letter upper case, the rest as is (`birth_date` → `Birth_date`).
    fileprivate var capitalized: String { prefix(1).uppercased() + dropFirst() }
}
