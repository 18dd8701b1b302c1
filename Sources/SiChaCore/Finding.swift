/// The finding codes of contract section 4: 四查 record checks and 三比对 comparisons.
public enum FindingCode: String, CaseIterable, Sendable, Comparable {
    case idInvalid = "ID_INVALID"
    case idBirthMismatch = "ID_BIRTH_MISMATCH"
    case idSexMismatch = "ID_SEX_MISMATCH"
    case duplicateID = "DUPLICATE_ID"
    case chronicAbsence = "CHRONIC_ABSENCE"
    case hukouNoXueji = "HUKOU_NO_XUEJI"
    case xuejiDroppedOut = "XUEJI_DROPPED_OUT"
    case xuejiNoHukou = "XUEJI_NO_HUKOU"
    case xuejiHukouInactive = "XUEJI_HUKOU_INACTIVE"
    case identityMismatch = "IDENTITY_MISMATCH"
    case enrolledNotPresent = "ENROLLED_NOT_PRESENT"
    case presentNotEnrolled = "PRESENT_NOT_ENROLLED"
    case schoolMismatch = "SCHOOL_MISMATCH"
    case povertyChildNotInSchool = "POVERTY_CHILD_NOT_IN_SCHOOL"
    case povertyNoHukou = "POVERTY_NO_HUKOU"

    /// Outputs order findings by the code's text.
    public static func < (a: FindingCode, b: FindingCode) -> Bool { a.rawValue < b.rawValue }

    /// Position of each code in output order.
    static let outputOrder: [FindingCode: Int] = Dictionary(uniqueKeysWithValues: allCases.sorted().enumerated().map { ($1, $0) })

    /// The codes that put a child on the list of cases (`cases.csv`).
    public var makesCase: Bool {
        switch self {
        case .hukouNoXueji, .xuejiDroppedOut, .enrolledNotPresent, .povertyChildNotInSchool, .chronicAbsence: return true
        default: return false
        }
    }
}

/// One finding: a code and the record it names.
public struct Finding: Sendable {
    public var code: FindingCode
    public var dataset: Dataset
    public var location: Location
    /// The normalised ID when valid, else the raw field.
    public var id: String
    public var name: String
    public var regionCode: String
    public var schoolCode: String
    public var detail: String
}

/// A row that could not be read as a record.
public struct Reject: Sendable {
    public var dataset: Dataset
    public var location: Location
    public var reason: String
    /// The row as read, cut to 200 bytes, invalid UTF-8 replaced.
    public var raw: String
}
