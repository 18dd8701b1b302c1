import SiChaCore

/// What happens in the schooling of one child of compulsory-school age whose hukou is here.
/// Most children are `normal`; the other fates are the situations 四查三比对 exists to find, and
/// a few ordinary ones that it must not flag.
enum Fate: CaseIterable {
    case normal, transferHistory, returnedDropout, suspended, homeEducation, withoutID
    case neverEnrolled, transferredOut, primaryGap, droppedOut, presentNotEnrolled
    case chronicAbsence, multiEnrolled, schoolMismatch, enrolledNotPresent, hukouInactive
    case nameMismatch, birthMismatch, sexMismatch, xuejiTypo, rosterDamaged, rosterDuplicate

    /// The share of children with each fate other than `normal`.
    static let rates: [(Fate, Double)] = [
        (.transferHistory, 0.02), (.returnedDropout, 0.003), (.suspended, 0.003), (.homeEducation, 0.003),
        (.withoutID, 0.002),
        // Out of school: about 1.5% of children.
        (.neverEnrolled, 0.004), (.transferredOut, 0.003), (.primaryGap, 0.003), (.droppedOut, 0.003),
        (.presentNotEnrolled, 0.002),
        (.chronicAbsence, 0.01), (.multiEnrolled, 0.002), (.schoolMismatch, 0.003), (.enrolledNotPresent, 0.003),
        (.hukouInactive, 0.002), (.nameMismatch, 0.0015), (.birthMismatch, 0.0015), (.sexMismatch, 0.0015),
        (.xuejiTypo, 0.002), (.rosterDamaged, 0.003), (.rosterDuplicate, 0.0015),
    ]

    static func draw(_ random: inout SeededRandom) -> Fate {
        var u = random.unit()
        for (fate, rate) in rates {
            if u < rate { return fate }
            u -= rate
        }
        return .normal
    }
}

/// The people of one household and every row the registers hold about them.
struct Household {
    var persons: [Person] = []
    var hukou: [HukouRow] = []
    var xueji: [XuejiRow] = []
    var roster: [RosterRow] = []
    var poverty: [PovertyRow] = []

    mutating func reset() {
        persons.removeAll(keepingCapacity: true)
        hukou.removeAll(keepingCapacity: true)
        xueji.removeAll(keepingCapacity: true)
        roster.removeAll(keepingCapacity: true)
        poverty.removeAll(keepingCapacity: true)
    }
}

/// Makes households one at a time: people, their hukou statuses, their children's schooling and
/// the poverty register, with anomalies planted at realistic rates.
struct PopulationBuilder {
    let geography: Geography
    /// Whether valid IDs are sometimes spelled in their other forms (15-digit, full-width, `x`, padded).
    let variants: Bool
    private var random: SeededRandom
    private var ids: IDAllocator
    private let asOfDay: Int
    private let firstDay: Int
    private let schoolYear: Int
    private let ageDate: Int32
    private let termStart: Int
    private let termDays: Int
    private var households = 0
    private var poorHouseholds = 0
    private var unnumbered: UInt64 = 0

    /// The household last made.
    private(set) var household = Household()
    private var plans: [Plan] = []
    private var county = 0
    private var township = 0
    private var region: UInt64 = 0
    private var householdNumber: UInt64 = 0
    private var poor = false

    /// What was decided for one member before rows are made.
    private struct Plan {
        var status = HukouStatus.normal
        var fate: Fate?
        /// On the poverty register but with no hukou record at all.
        var noHukou = false
    }

    init(geography: Geography, seed: UInt64, asOf: CivilDate, schoolYear: Int, variants: Bool) {
        self.geography = geography
        self.variants = variants
        random = SeededRandom(seed: seed)
        asOfDay = Days.from(year: asOf.year, month: asOf.month, day: asOf.day)
        firstDay = Days.from(year: 1900, month: 1, day: 1)
        ids = IDAllocator(regions: geography.birthRegions, asOfDay: asOfDay)
        self.schoolYear = schoolYear
        ageDate = Int32(schoolYear * 10000 + 831)
        // The term so far: from 1 September or 1 March, whichever came last before the as-of date.
        let september = Days.from(year: asOf.year, month: 9, day: 1)
        let march = Days.from(year: asOf.year, month: 3, day: 1)
        termStart = asOfDay >= september ? september : asOfDay >= march ? march : Days.from(year: asOf.year - 1, month: 9, day: 1)
        var weekdays = 0
        for day in termStart...asOfDay where (1...5).contains(Days.weekday(day)) { weekdays += 1 }
        termDays = min(max(weekdays, 5), 110)
    }

    // MARK: households

    /// Makes the next household of county `county` with at most `limit` (≥ 1) people.
    mutating func next(county c: Int, limit: Int) {
        household.reset()
        plans.removeAll(keepingCapacity: true)
        county = c
        let villages = geography.counties[c].villages
        township = random.below(villages.count)
        region = geography.village(c, township, random.below(villages[township]))
        households += 1
        householdNumber = UInt64(geography.counties[c].code) * 1_000_000_000 + UInt64(households % 300_000_000)
        if random.chance(0.004) {
            migrants(limit: limit)
            return
        }
        poor = false
        members(limit: limit)
        plan()
        for i in household.persons.indices where household.persons[i].key != 0 && !plans[i].noHukou { hukouRows(i) }
        for i in household.persons.indices where household.persons[i].age < 18 { schoolRows(i) }
        povertyRows()
    }

    /// A family whose hukou is in another province: only the children appear, in xueji and the roster.
    private mutating func migrants(limit: Int) {
        let others = geography.homeRegions..<geography.birthRegions.count
        let count = min(limit, 1 + random.below(2))
        let surname = Names.random(&random).surname
        for _ in 0..<count {
            add(age: random.within(6...14), sex: random.chance(0.52) ? .male : .female, role: .child,
                surname: surname, region: others.lowerBound + random.below(others.count), in: others)
            plans.append(Plan())
        }
        for i in household.persons.indices {
            let grade = min(9, max(1, household.persons[i].age - 5))
            let school = geography.school(grade: grade, county, township)
            enrol(i, grade: grade, school: school, .enrolled)
            attend(i, grade: grade, school: school)
        }
    }

    private mutating func members(limit: Int) {
        let u = random.unit()
        let surname = Names.random(&random).surname
        func anySex(_ random: inout SeededRandom) -> Sex { random.chance(0.5) ? .male : .female }
        if u < 0.09 {
            let age = random.within(62...92)
            let sex = anySex(&random)
            add(age: age, sex: sex, role: .head, surname: surname)
            if random.chance(0.5) { add(age: age + random.within(-4...4), sex: sex == .male ? .female : .male, role: .spouse) }
        } else if u < 0.17 {
            add(age: random.within(19...59), sex: anySex(&random), role: .head, surname: surname)
        } else {
            let headAge = random.within(24...58)
            let headSex: Sex = random.chance(0.85) ? .male : .female
            add(age: headAge, sex: headSex, role: .head, surname: surname)
            if random.chance(0.9) {
                add(age: max(20, headAge + random.within(-5...3)), sex: headSex == .male ? .female : .male, role: .spouse)
            }
            let c = random.unit()
            let children = c < 0.10 ? 0 : c < 0.44 ? 1 : c < 0.84 ? 2 : c < 0.96 ? 3 : 4
            for _ in 0..<children {
                let age = headAge - random.within(21...38)
                if age >= 0 { add(age: age, sex: random.chance(0.52) ? .male : .female, role: .child, surname: surname) }
            }
            if headAge < 60 && random.chance(0.3) {
                let elder = min(96, headAge + random.within(22...34))
                add(age: elder, sex: .male, role: .parent, surname: surname)
                if random.chance(0.6) { add(age: min(96, elder + random.within(-4...2)), sex: .female, role: .parent) }
            }
        }
        if household.persons.count > limit { household.persons.removeLast(household.persons.count - limit) }
    }

    /// Adds a person of `age` on 31 August of the school year, with a new ID issued in
    /// `birthRegions[region]` (by default the county, sometimes elsewhere in the province).
    private mutating func add(age: Int, sex: Sex, role: Person.Role, surname: UInt8? = nil,
                              region: Int? = nil, in range: Range<Int>? = nil) {
        let range = range ?? 0..<geography.homeRegions
        let place = region ?? (random.chance(0.85) ? county : random.below(geography.homeRegions))
        var day = Days.from(year: schoolYear - age, month: 8, day: 31) - random.below(365)
        day = min(max(day, firstDay), asOfDay)
        var issued: (UInt64, UInt8)?
        var birth: Int32 = 0
        while issued == nil {
            birth = Days.packed(day)
            issued = ids.allocate(region: place, in: range, birthDay: day, birth: birth, sex: sex)
            if issued == nil { day = day > firstDay ? day - 1 : asOfDay }
        }
        household.persons.append(Person(key: issued!.0, check: issued!.1, sex: sex, birthDay: day, birth: birth,
                                        age: Days.age(birth: birth, on: ageDate),
                                        name: Names.random(surname: surname, &random), role: role))
    }

    /// Decides each member's hukou status, each child's fate, and the poverty register's errors.
    private mutating func plan() {
        for p in household.persons {
            var plan = Plan()
            let u = random.unit()
            if p.age >= 70 {
                if u < 0.04 { plan.status = .deceased }
            } else if p.age >= 18 {
                if u < 0.02 { plan.status = .movedOut } else if u < 0.023 { plan.status = .deceased } else if u < 0.025 { plan.status = .cancelled }
            } else if u < 0.01 {
                plan.status = .movedOut
            } else if u < 0.011 {
                plan.status = .deceased
            }
            if plan.status == .normal && (6...15).contains(p.age) {
                let fate = Fate.draw(&random)
                plan.fate = fate
                if fate == .hukouInactive { plan.status = random.chance(0.7) ? .deceased : .cancelled }
            }
            plans.append(plan)
        }
        for i in household.persons.indices where plans[i].fate == .withoutID { household.persons[i].key = 0 }
        poor = random.chance(0.12)
        if poor {
            for i in plans.indices where plans[i].status == .normal && random.chance(0.004) { plans[i].noHukou = true }
        }
    }

    /// A valid spelling of `p`'s ID: plain, or with `--variants` now and then another valid form.
    private mutating func spelling(_ p: Person) -> IDForm {
        guard variants else { return .plain }
        let u = random.unit()
        if p.birth < 2000_0000 && u < 0.03 { return .legacy15 }
        if u > 0.99 { return .fullWidth }
        if u > 0.98 { return .padded }
        if p.check == UInt8(ascii: "X") && u > 0.6 { return .lowercaseX }
        return .plain
    }

    private mutating func hukouRows(_ i: Int) {
        let p = household.persons[i]
        let status = plans[i].status
        var row = HukouRow(person: i, id: spelling(p), status: status, household: householdNumber, region: region,
                           sex: p.sex.rawValue, birth: p.birth, name: p.name)
        if status == .normal && p.age >= 18 {
            let u = random.unit()
            if u < 0.001 {
                row.id = .typo
            } else if u < 0.002 {
                // Another date, or (now and then) an empty or unreadable field.
                let v = random.unit()
                row.birth = v < 0.15 ? 0 : v < 0.25 ? HukouRow.unreadable : Days.packed(p.birthDay + random.within(1...400))
            } else if u < 0.003 {
                let v = random.unit()
                row.sex = v < 0.15 ? 0 : v < 0.25 ? HukouRow.unreadableSex : 3 - p.sex.rawValue
            } else if u < 0.008 {
                // Moved within the prefecture: the old household keeps a moved_out record.
                var old = row
                old.status = .movedOut
                old.household = householdNumber + 300_000_000
                old.region = geography.village(county, (township + 1) % geography.counties[county].villages.count, 0)
                household.hukou.append(old)
            }
        }
        household.hukou.append(row)
        if status == .normal && random.chance(0.0005) {
            // Registered twice (重复户口).
            row.household = householdNumber + 600_000_000
            row.id = spelling(p)
            household.hukou.append(row)
        }
    }

    // MARK: schooling

    private mutating func schoolRows(_ i: Int) {
        let p = household.persons[i]
        if let fate = plans[i].fate {
            child(i, fate)
        } else if plans[i].status == .deceased, (6...15).contains(p.age), random.chance(0.5) {
            let grade = min(9, p.age - 5)
            enrol(i, grade: grade, school: geography.school(grade: grade, county, township), .deceased)
        } else if plans[i].status == .normal {
            if p.age == 5 && random.chance(0.03) {
                enrol(i, grade: 1, school: geography.primary(county, township), .enrolled)
                attend(i, grade: 1, school: geography.primary(county, township))
            } else if p.age == 16 || p.age == 17 {
                let junior = geography.junior(county, township)
                let u = random.unit()
                if u < 0.5 { enrol(i, grade: 9, school: junior, .graduated) }
                else if u < 0.55 { enrol(i, grade: 9, school: junior, .enrolled); attend(i, grade: 9, school: junior) }
                else if u < 0.6 { enrol(i, grade: 8, school: junior, .droppedOut) }
            }
        }
    }

    /// The xueji and roster rows of a child of compulsory-school age.
    private mutating func child(_ i: Int, _ fate: Fate) {
        let age = household.persons[i].age
        var grade = age - 5
        if age >= 7 && random.chance(0.05) { grade -= 1 }
        if grade == 10 {
            if random.chance(0.9) {
                enrol(i, grade: 9, school: geography.junior(county, township), .graduated)
                return
            }
            grade = 9
        }
        let school = geography.school(grade: grade, county, township)
        let other = geography.otherSchool(grade: grade, county, township)
        switch fate {
        case .normal:
            if grade >= 7 && random.chance(0.5) { enrol(i, grade: 6, school: geography.primary(county, township), .graduated) }
            enrol(i, grade: grade, school: school, .enrolled)
            attend(i, grade: grade, school: school)
        case .transferHistory:
            enrol(i, grade: grade, school: other, .transferredOut)
            enrol(i, grade: grade, school: school, .enrolled)
            attend(i, grade: grade, school: school)
        case .returnedDropout:
            let before = max(1, grade - 1)
            enrol(i, grade: before, school: geography.school(grade: before, county, township), .droppedOut)
            enrol(i, grade: grade, school: school, .enrolled, returned: true)
            attend(i, grade: grade, school: school)
        case .suspended:
            enrol(i, grade: grade, school: school, .suspended)
        case .homeEducation:
            enrol(i, grade: grade, school: school, .homeEducation)
        case .withoutID:
            enrol(i, grade: grade, school: school, .enrolled)
        case .neverEnrolled:
            break
        case .transferredOut:
            enrol(i, grade: grade, school: school, .transferredOut)
        case .primaryGap:
            if grade >= 7 { enrol(i, grade: 6, school: geography.primary(county, township), .graduated) }
        case .droppedOut:
            enrol(i, grade: grade, school: school, .droppedOut)
        case .presentNotEnrolled:
            if random.chance(0.5) { enrol(i, grade: grade, school: school, .transferredOut) }
            attend(i, grade: grade, school: school)
        case .chronicAbsence:
            enrol(i, grade: grade, school: school, .enrolled)
            attend(i, grade: grade, school: school, chronic: true)
        case .multiEnrolled:
            enrol(i, grade: grade, school: school, .enrolled)
            enrol(i, grade: grade, school: other, .enrolled)
            attend(i, grade: grade, school: school)
        case .schoolMismatch:
            enrol(i, grade: grade, school: school, .enrolled)
            attend(i, grade: grade, school: other)
        case .enrolledNotPresent, .hukouInactive:
            enrol(i, grade: grade, school: school, .enrolled)
        case .nameMismatch, .birthMismatch, .sexMismatch, .xuejiTypo:
            enrol(i, grade: grade, school: school, .enrolled)
            let p = household.persons[i]
            let last = household.xueji.count - 1
            switch fate {
            case .nameMismatch: household.xueji[last].name = p.name.altered()
            case .birthMismatch: household.xueji[last].birth = Days.packed(p.birthDay - random.within(1...400))
            case .sexMismatch: household.xueji[last].sex = 3 - p.sex.rawValue
            default: household.xueji[last].id = .typo
            }
            attend(i, grade: grade, school: school)
        case .rosterDamaged:
            enrol(i, grade: grade, school: school, .enrolled)
            attend(i, grade: grade, school: school, id: random.chance(0.5) && zeroingBreaks(household.persons[i]) ? .zeroed : .scientific)
        case .rosterDuplicate:
            enrol(i, grade: grade, school: school, .enrolled)
            attend(i, grade: grade, school: school)
            attend(i, grade: grade, school: other)
        }
    }

    /// Whether zeroing the last three characters of `p`'s ID leaves an invalid number (it must,
    /// or the damaged ID would name someone else).
    private func zeroingBreaks(_ p: Person) -> Bool {
        IDNumber(key: p.key / 100 * 100).description.utf8.last != UInt8(ascii: "0")
    }

    /// A xueji record of person `i`, as the hukou has them unless changed afterwards.
    private mutating func enrol(_ i: Int, grade: Int, school: School, _ status: XuejiStatus, returned: Bool = false) {
        let p = household.persons[i]
        var number = StudentNumber.formal
        var id = IDForm.none
        if p.key == 0 {
            unnumbered += 1
            let digits = UInt64(geography.counties[county].code) * 1_000_000_000_000 + UInt64(p.birth) * 10000 + unnumbered % 10000
            number = .withoutID(letter: random.chance(0.7) ? UInt8(ascii: "J") : UInt8(ascii: "L"), digits: digits)
        } else {
            id = spelling(p)
        }
        household.xueji.append(XuejiRow(person: i, id: id, number: number, name: p.name, sex: p.sex.rawValue, birth: p.birth,
                                        school: school, grade: UInt8(grade), status: status, returned: returned))
    }

    /// A roster row: person `i` counted at `school`, absent a few days (a third or more when `chronic`).
    private mutating func attend(_ i: Int, grade: Int, school: School, chronic: Bool = false, id: IDForm? = nil) {
        let p = household.persons[i]
        let expected = max(1, termDays - random.below(3))
        let absent = chronic ? min(expected, (expected * random.within(30...80) + 99) / 100) : random.below(expected / 10 + 1)
        let last = max(termStart, asOfDay - (chronic ? random.within(5...20) : random.below(3)))
        household.roster.append(RosterRow(person: i, id: id ?? spelling(p), name: p.name, school: school, grade: UInt8(grade),
                                          expected: Int32(expected), absent: Int32(absent), lastPresent: Days.packed(last)))
    }

    // MARK: poverty

    private mutating func povertyRows() {
        guard poor else { return }
        poorHouseholds += 1
        let countyCode = UInt64(geography.counties[county].code)
        let number = countyCode * 10_000_000_000 + 8_000_000_000 + UInt64(poorHouseholds % 1_000_000_000)
        let c = random.unit()
        let category: PovertyCategory = c < 0.06 ? .notLifted : c < 0.18 ? .unstable : c < 0.32 ? .edge : c < 0.38 ? .sudden : .lifted
        var shared = SpecialGroups()
        if random.chance(0.12) { shared.insert(.relocated) }
        let singleParent = random.chance(0.06)
        for i in household.persons.indices where household.persons[i].key != 0 && plans[i].status == .normal {
            let p = household.persons[i]
            var groups = shared
            if singleParent && p.age < 18 { groups.insert(.singleParent) }
            if plans[i].fate == .homeEducation || random.chance(0.04) { groups.insert(.disabled) }
            if p.age < 16 && random.chance(0.2) { groups.insert(.leftBehind) }
            if p.age < 18 && random.chance(0.005) { groups.insert(.orphan) }
            var row = PovertyRow(person: i, id: spelling(p), household: number, name: p.name, region: region,
                                 category: category, groups: groups)
            let u = random.unit()
            if u < 0.0015 { row.id = .typo }
            household.poverty.append(row)
            if u >= 0.0015 && u < 0.0045 {
                // Listed in a second household too.
                row.household = countyCode * 10_000_000_000 + 9_000_000_000 + UInt64(poorHouseholds % 1_000_000_000)
                row.id = spelling(p)
                household.poverty.append(row)
            }
        }
    }
}
