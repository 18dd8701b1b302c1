/// The five colours (五色) of dropout risk, most urgent first.
public enum RiskLevel: Int, CaseIterable, Sendable, Comparable {
    case red, orange, yellow, blue, green

    public var name: String { ["red", "orange", "yellow", "blue", "green"][rawValue] }

    public init?(name: String) {
        guard let i = ["red", "orange", "yellow", "blue", "green"].firstIndex(of: name.lowercased()) else { return nil }
        self.init(rawValue: i)
    }

    /// `red` < `orange`: a smaller level is more urgent.
    public static func < (a: RiskLevel, b: RiskLevel) -> Bool { a.rawValue < b.rawValue }
}

/// What a case's score is computed from: every factor sicha can see about the child.
public struct RiskFacts: Sendable {
    public var codes: Set<FindingCode> = []
    public var category: PovertyCategory?
    public var groups = SpecialGroups()
    public var overAge = false
    public var upperJuniorGrade = false
    public var primaryToJuniorGap = false
    public var returnedBefore = false
    /// The highest `days_absent / days_expected` of the child's roster rows.
    public var absenceRate: Double = 0
    public init() {}
}

/// Turns facts into a score 0–100 with named reasons, and the score into a colour.
///
/// Each factor that applies adds its weight; `absence_rate` adds its weight × the highest absence
/// rate. A score above 100 is capped by a last reason `cap` with the points taken off, so that the
/// reasons always add up to the score. The level is the first whose threshold the score reaches.
public struct RiskModel: Sendable, Equatable {
    /// Points per factor, in the order reasons are listed.
    public var weights: [Factor: Int]
    /// Minimum scores of `red`, `orange`, `yellow` and `blue`; below the last is `green`.
    public var thresholds: [Int]

    /// A factor of the score, named as in `reasons` and in the config file.
    public enum Factor: String, CaseIterable, Sendable {
        case povertyChildNotInSchool = "poverty_child_not_in_school"
        case xuejiDroppedOut = "xueji_dropped_out"
        case hukouNoXueji = "hukou_no_xueji"
        case enrolledNotPresent = "enrolled_not_present"
        case chronicAbsence = "chronic_absence"
        case absenceRate = "absence_rate"
        case categoryNotLifted = "category_not_lifted"
        case categoryUnstable = "category_unstable"
        case categoryEdge = "category_edge"
        case categorySudden = "category_sudden"
        case categoryLifted = "category_lifted"
        case orphan, disabled
        case leftBehind = "left_behind"
        case singleParent = "single_parent"
        case relocated
        case overAge = "over_age"
        case upperJuniorGrade = "upper_junior_grade"
        case primaryToJuniorGap = "primary_to_junior_gap"
        case returnedBefore = "returned_before"

        /// What the factor means, for `sicha config --print-defaults` and the README.
        public var meaning: String {
            switch self {
            case .povertyChildNotInSchool: return "POVERTY_CHILD_NOT_IN_SCHOOL: a poverty-register child out of school"
            case .xuejiDroppedOut: return "XUEJI_DROPPED_OUT: a recorded dropout not yet back"
            case .hukouNoXueji: return "HUKOU_NO_XUEJI: registered here, in no school (户籍有学籍无)"
            case .enrolledNotPresent: return "ENROLLED_NOT_PRESENT: enrolled, on no roster (有籍无人)"
            case .chronicAbsence: return "CHRONIC_ABSENCE: absent at or above the threshold"
            case .absenceRate: return "times the highest absence rate (0-1)"
            case .categoryNotLifted: return "poverty category 未脱贫户"
            case .categoryUnstable: return "poverty category 脱贫不稳定户"
            case .categoryEdge: return "poverty category 边缘易致贫户"
            case .categorySudden: return "poverty category 突发严重困难户"
            case .categoryLifted: return "poverty category 脱贫户"
            case .orphan: return "孤儿"
            case .disabled: return "残疾"
            case .leftBehind: return "留守"
            case .singleParent: return "单亲"
            case .relocated: return "易地搬迁"
            case .overAge: return "two or more years older than the grade's age"
            case .upperJuniorGrade: return "grade 8 or 9 (初二, 初三)"
            case .primaryToJuniorGap: return "graduated grade 6, nothing after (小升初)"
            case .returnedBefore: return "dropped out before and was brought back (复学)"
            }
        }
    }

    public static let standard = RiskModel(
        weights: [
            .povertyChildNotInSchool: 40, .xuejiDroppedOut: 35, .hukouNoXueji: 30, .enrolledNotPresent: 25,
            .chronicAbsence: 10, .absenceRate: 20,
            .categoryNotLifted: 20, .categoryUnstable: 15, .categoryEdge: 12, .categorySudden: 12, .categoryLifted: 5,
            .orphan: 12, .disabled: 10, .leftBehind: 8, .singleParent: 6, .relocated: 5,
            .overAge: 8, .upperJuniorGrade: 8, .primaryToJuniorGap: 10, .returnedBefore: 10,
        ],
        thresholds: [60, 45, 30, 15])

    public init(weights: [Factor: Int], thresholds: [Int]) {
        self.weights = weights
        self.thresholds = thresholds
    }

    /// The factors that apply to `facts`, each with its points, in factor order, then `cap` if any.
    public func reasons(_ facts: RiskFacts) -> [(factor: String, points: Int)] {
        var applies: Set<Factor> = []
        let byCode: [FindingCode: Factor] = [.povertyChildNotInSchool: .povertyChildNotInSchool, .xuejiDroppedOut: .xuejiDroppedOut,
                                             .hukouNoXueji: .hukouNoXueji, .enrolledNotPresent: .enrolledNotPresent,
                                             .chronicAbsence: .chronicAbsence]
        for code in facts.codes { if let f = byCode[code] { applies.insert(f) } }
        if let category = facts.category {
            applies.insert([.categoryNotLifted, .categoryUnstable, .categoryEdge, .categorySudden, .categoryLifted][Int(category.rawValue)])
        }
        let groups: [(SpecialGroups, Factor)] = [(.orphan, .orphan), (.disabled, .disabled), (.leftBehind, .leftBehind),
                                                 (.singleParent, .singleParent), (.relocated, .relocated)]
        for (group, factor) in groups where facts.groups.contains(group) { applies.insert(factor) }
        if facts.overAge { applies.insert(.overAge) }
        if facts.upperJuniorGrade { applies.insert(.upperJuniorGrade) }
        if facts.primaryToJuniorGap { applies.insert(.primaryToJuniorGap) }
        if facts.returnedBefore { applies.insert(.returnedBefore) }
        var out: [(String, Int)] = []
        for factor in Factor.allCases {
            let weight = weights[factor] ?? 0
            let points = factor == .absenceRate ? Int((min(facts.absenceRate, 1) * Double(weight)).rounded())
                : applies.contains(factor) ? weight : 0
            if points != 0 { out.append((factor.rawValue, points)) }
        }
        let total = out.reduce(0) { $0 + $1.1 }
        if total > 100 { out.append(("cap", 100 - total)) }
        if total < 0 { out.append(("cap", -total)) }
        return out
    }

    /// The sum of the reasons' points.
    public func score(_ reasons: [(factor: String, points: Int)]) -> Int {
        reasons.reduce(0) { $0 + $1.points }
    }

    public func level(_ score: Int) -> RiskLevel {
        for (i, threshold) in thresholds.enumerated() where score >= threshold { return RiskLevel(rawValue: i)! }
        return .green
    }
}

/// One child on the ranked list of cases (`cases.csv`).
public struct Case: Sendable {
    public var rank = 0
    public var level: RiskLevel
    public var score: Int
    public var id: IDNumber
    public var name: String
    public var age: Int
    public var regionCode: String
    public var schoolCode: String
    public var grade: Int?
    public var povertyCategory: PovertyCategory?
    public var codes: [FindingCode]
    public var reasons: [(factor: String, points: Int)]
}

/// What sicha found of a child of compulsory-school age, for the ledger of all of them (适龄儿童台账).
public enum ChildStatus: UInt8, Sendable {
    /// An active xueji record (在读, 休学, 送教上门) and no out-of-school finding.
    case inSchool
    /// Finished grade 9.
    case completed
    /// A recorded dropout not yet back (辍学).
    case droppedOut
    /// HUKOU_NO_XUEJI, ENROLLED_NOT_PRESENT or POVERTY_CHILD_NOT_IN_SCHOOL (疑似辍学).
    case suspectedDropout
    /// No active record and no finding that calls for a visit (moved out, deceased...).
    case notAccounted
    /// The xueji register was not given.
    case unknown

    public var name: String {
        ["in_school", "completed", "dropped_out", "suspected_dropout", "not_accounted", "unknown"][Int(rawValue)]
    }
}

/// Text of one record field, kept in its file's arena until written out.
public struct RecordText: Sendable {
    let file: Int32
    let ref: TextRef
    static let none = RecordText(file: -1, ref: TextRef(offset: 0, count: 0))
}

/// One school-age child as the ledgers list them.
public struct InScopeChild: Sendable {
    public var id: IDNumber
    public var status: ChildStatus
    public var level: RiskLevel?
    public var score: Int?
    public var grade: Int?
    public var name: RecordText
    public var region: RecordText
    public var school: RecordText
}
