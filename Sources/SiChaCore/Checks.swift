/// The record-level checks (四查) that compare a record with itself.
enum Checks {
    /// `CHRONIC_ABSENCE`: absent for at least `threshold` of the expected days.
    static func chronicAbsence(expected: Int32, absent: Int32, threshold: Double) -> String? {
        guard isChronic(expected: expected, absent: absent, threshold: threshold) else { return nil }
        return "absent \(absent) of \(expected) days (\(percentText(Int(absent), of: Int(expected))!))"
    }

    static func isChronic(expected: Int32, absent: Int32, threshold: Double) -> Bool {
        expected > 0 && Double(absent) / Double(expected) >= threshold
    }

    /// `ID_BIRTH_MISMATCH`: the stated birth date is missing, unreadable or not the ID's.
    static func birthMismatch(_ id: IDNumber, _ stated: StatedIdentity) -> String? {
        if stated.birth == 0 { return "birth_date empty or unreadable; ID says \(id.birthDate)" }
        if stated.birth == id.birthDate.packed { return nil }
        return "birth_date \(date(stated.birth)); ID says \(id.birthDate)"
    }

    /// `ID_SEX_MISMATCH`: the stated sex is missing, unreadable or not the ID's.
    static func sexMismatch(_ id: IDNumber, _ stated: StatedIdentity) -> String? {
        if stated.sex == 0 { return "sex empty or unreadable; ID says \(id.sex.code)" }
        if stated.sex == id.sex.rawValue { return nil }
        return "sex \(Sex(rawValue: stated.sex)!.code); ID says \(id.sex.code)"
    }

    static func date(_ packed: Int32) -> String {
        CivilDate(year: Int(packed / 10000), month: Int(packed / 100 % 100), day: Int(packed % 100))!.description
    }
}

/// `part / whole` as a percentage with one decimal, rounded half up, e.g. `26.7%`; nil when `whole` is 0.
public func percentText(_ part: Int, of whole: Int) -> String? {
    guard whole > 0 else { return nil }
    let tenths = (part * 1000 + whole / 2) / whole
    return "\(tenths / 10).\(tenths % 10)%"
}
