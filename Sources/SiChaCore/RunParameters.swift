/// The parameters of a run (contract sections 3 and 4) that change what it finds.
public struct RunParameters: Sendable {
    /// The day the registers were extracted: no valid birth date is after it.
    public var asOf: CivilDate
    /// The school year `Y`, starting 1 September of `Y`.
    public var schoolYear: Int
    public var minAge: Int
    public var maxAge: Int
    /// `days_absent / days_expected` at or above this is chronic absence.
    public var absenceThreshold: Double

    public init(asOf: CivilDate, schoolYear: Int? = nil, minAge: Int = 6, maxAge: Int = 15, absenceThreshold: Double = 0.2) {
        self.asOf = asOf
        self.schoolYear = schoolYear ?? (asOf.month >= 9 ? asOf.year : asOf.year - 1)
        self.minAge = minAge
        self.maxAge = maxAge
        self.absenceThreshold = absenceThreshold
    }

    /// 31 August of the school year: the day on which age is counted.
    public var ageDate: CivilDate { CivilDate(year: schoolYear, month: 8, day: 31)! }

    /// Age on 31 August of the school year.
    public func age(_ id: IDNumber) -> Int { id.birthDate.age(on: ageDate) }

    /// Birth dates (packed) of the people of compulsory-school age in this school year: aged
    /// `minAge`…`maxAge` on 31 August of `Y` means born from 1 September of `Y - maxAge - 1`
    /// to 31 August of `Y - minAge`.
    public var scopeBirthDates: ClosedRange<Int32> {
        CivilDate(year: schoolYear - maxAge - 1, month: 9, day: 1)!.packed ... CivilDate(year: schoolYear - minAge, month: 8, day: 31)!.packed
    }

    /// 义务教育适龄: of compulsory-school age in this school year.
    public func inScope(_ id: IDNumber) -> Bool { scopeBirthDates.contains(id.birthDate.packed) }
}
