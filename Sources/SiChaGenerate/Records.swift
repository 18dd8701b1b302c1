import SiChaCore

/// One generated person: the truth that the registers record, correctly or not.
struct Person {
    /// The 17 leading digits of the ID number; 0 for a child without one (无户口).
    var key: UInt64
    /// The check character (ASCII) of `key`.
    var check: UInt8
    var sex: Sex
    /// Birth date as a day number and as `yyyymmdd`.
    var birthDay: Int
    var birth: Int32
    /// Age on 31 August of the school year.
    var age: Int
    var name: Name
    var role: Role

    /// 与户主关系, for the extra column of some hukou exports.
    enum Role: UInt8 { case head, spouse, child, parent }
}

/// How an ID field is written. The first five are valid IDs in different spellings, `none` is an
/// empty field (xueji records with a J or L student number), the rest are invalid.
enum IDForm: UInt8 {
    case plain, legacy15, fullWidth, lowercaseX, padded
    case none
    /// A wrong check character.
    case typo
    /// Spreadsheet damage: `5.30102E+17`.
    case scientific
    /// Spreadsheet damage: the last three characters zeroed.
    case zeroed

    var isValid: Bool { rawValue < IDForm.none.rawValue }
    var isInvalid: Bool { rawValue > IDForm.none.rawValue }
}

/// 学籍号 kinds: G + ID number, or J/L + 18 digits for a child without an ID.
enum StudentNumber {
    case formal
    case withoutID(letter: UInt8, digits: UInt64)
}

/// A 户籍 row as written.
struct HukouRow {
    var person: Int
    var id: IDForm
    var status: HukouStatus
    var household: UInt64
    var region: UInt64
    /// Stated sex (1, 2), 0 for an empty field or `unreadableSex`.
    var sex: UInt8
    /// Stated birth date `yyyymmdd`, 0 for an empty field or `unreadable`.
    var birth: Int32
    var name: Name

    /// A birth date field that cannot be read as a date.
    static let unreadable: Int32 = -1
    /// A sex field that is neither male nor female.
    static let unreadableSex: UInt8 = 9
}

/// A 学籍 row as written.
struct XuejiRow {
    var person: Int
    var id: IDForm
    var number: StudentNumber
    var name: Name
    var sex: UInt8
    var birth: Int32
    var school: School
    var grade: UInt8
    var status: XuejiStatus
    var returned: Bool
}

/// A 在校生 roster row as written.
struct RosterRow {
    var person: Int
    var id: IDForm
    var name: Name
    var school: School
    var grade: UInt8
    var expected: Int32
    var absent: Int32
    var lastPresent: Int32
}

/// A poverty register row as written.
struct PovertyRow {
    var person: Int
    var id: IDForm
    var household: UInt64
    var name: Name
    var region: UInt64
    var category: PovertyCategory
    var groups: SpecialGroups
}
