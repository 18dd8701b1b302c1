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
    public static func < (a: FindingCode, b: FindingCode) -> Bool { a.ordinal < b.ordinal }

    /// The codes by `ordinal`.
    public static let byOrdinal = FindingCode.allCases.sorted()

    /// Position of the code in the order of the codes' text.
    public var ordinal: Int {
        switch self {
        case .chronicAbsence: return 0
        case .duplicateID: return 1
        case .enrolledNotPresent: return 2
        case .hukouNoXueji: return 3
        case .identityMismatch: return 4
        case .idBirthMismatch: return 5
        case .idInvalid: return 6
        case .idSexMismatch: return 7
        case .povertyChildNotInSchool: return 8
        case .povertyNoHukou: return 9
        case .presentNotEnrolled: return 10
        case .schoolMismatch: return 11
        case .xuejiDroppedOut: return 12
        case .xuejiHukouInactive: return 13
        case .xuejiNoHukou: return 14
        }
    }

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
    /// The person's key when the ID is valid, else 0.
    public var key: UInt64
    /// The ID field as read, kept only when it is not valid.
    public var rawID: String
    public var name: String
    public var regionCode: String
    public var schoolCode: String
    public var detail: String

    /// The normalised ID when valid, else the raw field.
    public var id: String { key != 0 ? IDNumber(key: key).description : rawID }
}

/// A row that could not be read as a record.
public struct Reject: Sendable {
    public var dataset: Dataset
    public var location: Location
    public var reason: String
    /// The row as read, cut to 200 bytes, invalid UTF-8 replaced.
    public var raw: String
}
