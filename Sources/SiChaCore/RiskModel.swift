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
/// Each factor adds its weight; the absence rate adds `absence_rate` × the rate. The score is
/// capped at 100. A level is the first whose threshold the score reaches.
public struct RiskModel: Sendable {
    /// Points per factor, in the order reasons are listed.
    public var weights: [(factor: String, points: Int)]
    /// Minimum scores of `red`, `orange`, `yellow` and `blue`; below the last is `green`.
    public var thresholds: [Int]

    public static let standard = RiskModel(
        weights: [
            ("poverty_child_not_in_school", 40), ("xueji_dropped_out", 35), ("hukou_no_xueji", 30),
            ("enrolled_not_present", 25), ("chronic_absence", 10), ("absence_rate", 20),
            ("category_not_lifted", 20), ("category_unstable", 15), ("category_edge", 12),
            ("category_sudden", 12), ("category_lifted", 5),
            ("orphan", 12), ("disabled", 10), ("left_behind", 8), ("single_parent", 6), ("relocated", 5),
            ("over_age", 8), ("upper_junior_grade", 8), ("primary_to_junior_gap", 10), ("returned_before", 10),
        ],
        thresholds: [70, 50, 35, 20])

    /// The factors that apply to `facts`, each with its points, in weight order.
    public func reasons(_ facts: RiskFacts) -> [(factor: String, points: Int)] {
        var applies: Set<String> = []
        for code in facts.codes where code.makesCase { applies.insert(code.rawValue.lowercased()) }
        if let category = facts.category { applies.insert("category_\(category.name)") }
        for (group, name) in SpecialGroups.named where facts.groups.contains(group) { applies.insert(name) }
        if facts.overAge { applies.insert("over_age") }
        if facts.upperJuniorGrade { applies.insert("upper_junior_grade") }
        if facts.primaryToJuniorGap { applies.insert("primary_to_junior_gap") }
        if facts.returnedBefore { applies.insert("returned_before") }
        var out: [(String, Int)] = []
        for (factor, weight) in weights {
            if factor == "absence_rate" {
                let points = Int((min(facts.absenceRate, 1) * Double(weight)).rounded())
                if points > 0 { out.append((factor, points)) }
            } else if applies.contains(factor), weight != 0 {
                out.append((factor, weight))
            }
        }
        return out
    }

    public func score(_ reasons: [(factor: String, points: Int)]) -> Int {
        min(100, max(0, reasons.reduce(0) { $0 + $1.points }))
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
