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
    public var codes = FindingCodes()
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
    /// Points per factor, indexed by `Factor.rawValue`.
    public private(set) var weights: [Int]
    /// Minimum scores of `red`, `orange`, `yellow` and `blue`; below the last is `green`.
    public var thresholds: [Int]

    /// A factor of the score, named as in `reasons` and in the config file.
    public enum Factor: Int, CaseIterable, Sendable {
        case povertyChildNotInSchool, xuejiDroppedOut, hukouNoXueji, enrolledNotPresent, chronicAbsence, absenceRate
        case categoryNotLifted, categoryUnstable, categoryEdge, categorySudden, categoryLifted
        case orphan, disabled, leftBehind, singleParent, relocated
        case overAge, upperJuniorGrade, primaryToJuniorGap, returnedBefore

        private static let names = [
            "poverty_child_not_in_school", "xueji_dropped_out", "hukou_no_xueji", "enrolled_not_present", "chronic_absence",
            "absence_rate", "category_not_lifted", "category_unstable", "category_edge", "category_sudden", "category_lifted",
            "orphan", "disabled", "left_behind", "single_parent", "relocated",
            "over_age", "upper_junior_grade", "primary_to_junior_gap", "returned_before",
        ]

        /// The name in `reasons` and in the config file.
        public var name: String { Factor.names[rawValue] }

        public init?(name: String) {
            guard let i = Factor.names.firstIndex(of: name) else { return nil }
            self.init(rawValue: i)
        }

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

    /// Factors not named in `weights` weigh nothing.
    public init(weights: [Factor: Int], thresholds: [Int]) {
        self.weights = Factor.allCases.map { weights[$0] ?? 0 }
        self.thresholds = thresholds
    }

    public func weight(_ factor: Factor) -> Int { weights[factor.rawValue] }

    public mutating func setWeight(_ factor: Factor, _ points: Int) { weights[factor.rawValue] = points }

    /// The factors that apply to `facts`, with the points of the absence rate and of the cap.
    public func reasons(_ facts: RiskFacts) -> RiskReasons {
        var applies: UInt32 = 0
        func add(_ f: Factor) { applies |= 1 << UInt32(f.rawValue) }
        if facts.codes.contains(.povertyChildNotInSchool) { add(.povertyChildNotInSchool) }
        if facts.codes.contains(.xuejiDroppedOut) { add(.xuejiDroppedOut) }
        if facts.codes.contains(.hukouNoXueji) { add(.hukouNoXueji) }
        if facts.codes.contains(.enrolledNotPresent) { add(.enrolledNotPresent) }
        if facts.codes.contains(.chronicAbsence) { add(.chronicAbsence) }
        if let category = facts.category { add(Factor(rawValue: Factor.categoryNotLifted.rawValue + Int(category.rawValue))!) }
        if facts.groups.contains(.orphan) { add(.orphan) }
        if facts.groups.contains(.disabled) { add(.disabled) }
        if facts.groups.contains(.leftBehind) { add(.leftBehind) }
        if facts.groups.contains(.singleParent) { add(.singleParent) }
        if facts.groups.contains(.relocated) { add(.relocated) }
        if facts.overAge { add(.overAge) }
        if facts.upperJuniorGrade { add(.upperJuniorGrade) }
        if facts.primaryToJuniorGap { add(.primaryToJuniorGap) }
        if facts.returnedBefore { add(.returnedBefore) }
        let absence = Int((min(facts.absenceRate, 1) * Double(weight(.absenceRate))).rounded())
        var total = absence
        for factor in Factor.allCases where factor != .absenceRate && applies & (1 << UInt32(factor.rawValue)) != 0 {
            total += weight(factor)
        }
        let cap = total > 100 ? 100 - total : total < 0 ? -total : 0
        return RiskReasons(factors: applies, absencePoints: Int32(absence), cap: Int32(cap))
    }

    /// Every factor that added to the score, with its points, in factor order, then `cap` if any.
    public func list(_ reasons: RiskReasons) -> [(factor: String, points: Int)] {
        var out: [(String, Int)] = []
        for factor in Factor.allCases {
            let points = factor == .absenceRate ? Int(reasons.absencePoints)
                : reasons.factors & (1 << UInt32(factor.rawValue)) != 0 ? weight(factor) : 0
            if points != 0 { out.append((factor.name, points)) }
        }
        if reasons.cap != 0 { out.append(("cap", Int(reasons.cap))) }
        return out
    }

    /// The sum of the reasons' points, 0–100.
    public func score(_ reasons: RiskReasons) -> Int {
        list(reasons).reduce(0) { $0 + $1.points }
    }

    public func level(_ score: Int) -> RiskLevel {
        for (i, threshold) in thresholds.enumerated() where score >= threshold { return RiskLevel(rawValue: i)! }
        return .green
    }
}

/// The reasons of a case in 12 bytes: which factors apply, and the points that are not a weight.
public struct RiskReasons: Sendable, Hashable {
    var factors: UInt32
    var absencePoints: Int32
    var cap: Int32
}

/// A set of finding codes in 16 bits.
public struct FindingCodes: Sendable, Hashable, ExpressibleByArrayLiteral {
    public init(arrayLiteral codes: FindingCode...) { self.init(codes) }
    var bits: UInt16 = 0
    public init() {}
    public init(_ codes: some Sequence<FindingCode>) { for c in codes { insert(c) } }
    public mutating func insert(_ code: FindingCode) { bits |= 1 << UInt16(code.ordinal) }
    public func contains(_ code: FindingCode) -> Bool { bits & (1 << UInt16(code.ordinal)) != 0 }
    /// The codes in the order of their text.
    public var sorted: [FindingCode] { FindingCode.allCases.filter(contains).sorted() }
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
    /// The person's finding codes.
    public var codeSet: FindingCodes
    /// Why the score is what it is; `RiskModel.list` names each factor with its points.
    public var reasons: RiskReasons

    /// The person's finding codes in the order of their text.
    public var codes: [FindingCode] { codeSet.sorted }

    /// The order of the ranked list: score, highest first, then region code, then ID.
    @Sendable static func ranksBefore(_ a: Case, _ b: Case) -> Bool {
        if a.score != b.score { return a.score > b.score }
        if a.regionCode != b.regionCode { return a.regionCode.utf8.lexicographicallyPrecedes(b.regionCode.utf8) }
        return a.id < b.id
    }

    /// A number in the order of `ranksBefore` as far as it tells cases apart (see `SpillList`):
    /// 255 less the score in the top byte, then the region code's first 14 bytes, 4 bits each, as
    /// long as they are digits: 0 for none, 1 for a byte below `0`, 2–11 for the digits, 12 for a
    /// byte above `9`, after which the rest is 0. A score above 255 is 0, one below 0 all ones.
    @Sendable static func rankPrefix(_ c: Case) -> UInt64 {
        if c.score > 255 { return 0 }
        if c.score < 0 { return .max }
        var prefix = UInt64(255 - c.score), characters = 0
        for byte in c.regionCode.utf8.prefix(14) {
            let code: UInt64 = byte < 0x30 ? 1 : byte <= 0x39 ? UInt64(byte - 0x30) + 2 : 12
            prefix = prefix << 4 | code
            characters += 1
            if code == 1 || code == 12 { break }
        }
        return prefix << (4 * (14 - characters))
    }
}

/// What sicha found of a child of compulsory-school age, for the ledger of all of them (适龄儿童台账).
public enum ChildStatus: UInt8, CaseIterable, Sendable {
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

/// One school-age child as the ledgers list them. Small: a province has millions of these.
public struct InScopeChild: Sendable {
    public var id: IDNumber
    private let nameRef, regionRef, schoolRef: TextRef
    /// The files of the three texts, plus 1 (0: no text).
    private let nameFile, regionFile, schoolFile: UInt16
    public var status: ChildStatus
    public var level: RiskLevel?
    public var score: UInt8?
    public var grade: UInt8?

    init(id: IDNumber, status: ChildStatus, grade: UInt8?, name: RecordText, region: RecordText, school: RecordText) {
        self.id = id
        self.status = status
        self.grade = grade
        (nameRef, regionRef, schoolRef) = (name.ref, region.ref, school.ref)
        func file(_ t: RecordText) -> UInt16 { UInt16(t.file + 1) }
        (nameFile, regionFile, schoolFile) = (file(name), file(region), file(school))
    }

    public var name: RecordText { RecordText(file: Int32(nameFile) - 1, ref: nameRef) }
    public var region: RecordText { RecordText(file: Int32(regionFile) - 1, ref: regionRef) }
    public var school: RecordText { RecordText(file: Int32(schoolFile) - 1, ref: schoolRef) }

    /// The same for children whose region code (see `Verification.regionCode`) comes from the same
    /// text: the region's, or the school's when there is no region. Cheap to hash, unlike the code.
    public var regionSource: RegionSource {
        let fromRegion = regionFile != 0 && (regionRef.isInline || regionRef.count > 0)
        let (file, ref) = fromRegion ? (regionFile, regionRef) : (schoolFile, schoolRef)
        // A code held in the reference is the same text in any file.
        return RegionSource(fromRegion: fromRegion, file: ref.isInline ? 0 : file, packed: ref.packed)
    }
}

/// Where a child's region code comes from: see `InScopeChild.regionSource`.
public struct RegionSource: Hashable, Sendable {
    let fromRegion: Bool
    let file: UInt16
    let packed: UInt64
}

/// Numbers given to region sources, found by a multiplicative hash in a table of open addressing:
/// a ledger looks up the source of every child, and a `Dictionary` hashes each key with SipHash
/// (10M: some 0.5 G instructions).
public struct RegionSourceNumbers {
    private var sources = [RegionSource](repeating: RegionSource(fromRegion: false, file: 0, packed: 0), count: 1024)
    /// The number in each slot; -1 where it is empty.
    private var numbers = [Int32](repeating: -1, count: 1024)
    private var count = 0

    public init() {}

    /// The number of `source`: the one `make` gave when it was first asked for.
    public mutating func number(of source: RegionSource, else make: () -> Int32) -> Int32 {
        var i = slot(source)
        while numbers[i] >= 0 {
            if sources[i] == source { return numbers[i] }
            i = (i + 1) & (numbers.count - 1)
        }
        let n = make()
        (sources[i], numbers[i]) = (source, n)
        count += 1
        if 2 * count > numbers.count { grow() }
        return n
    }

    private func slot(_ s: RegionSource) -> Int {
        let word = s.packed ^ UInt64(s.file) << 40 ^ (s.fromRegion ? 1 << 62 : 0)
        return Int(truncatingIfNeeded: (word &* 0x9E37_79B9_7F4A_7C15) >> 32) & (numbers.count - 1)
    }

    private mutating func grow() {
        let old = zip(sources, numbers).filter { $0.1 >= 0 }
        sources = Array(repeating: sources[0], count: 2 * numbers.count)
        numbers = Array(repeating: -1, count: 2 * numbers.count)
        for (source, n) in old {
            var i = slot(source)
            while numbers[i] >= 0 { i = (i + 1) & (numbers.count - 1) }
            (sources[i], numbers[i]) = (source, n)
        }
    }
}
