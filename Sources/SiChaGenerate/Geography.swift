/// A school: 10-digit 学校标识码 and the 12-digit division code of the township it stands in.
struct School: Equatable {
    var code: UInt64
    var region: UInt64
}

/// The counties, townships and villages of one prefecture, with their schools, and the places
/// (in the province and outside it) that ID numbers are issued in.
///
/// Everything is derived from the province code alone, so that it costs nothing per person.
struct Geography {
    /// One county (区/县) of the prefecture.
    struct County {
        /// 6-digit code, e.g. 530102.
        var code: Int
        /// Number of villages in each township.
        var villages: [Int]
        /// Share of the prefecture's population.
        var weight: Double
    }

    let province: Int
    let counties: [County]
    /// 6-digit codes that ID numbers start with: the prefecture's counties first, then other places
    /// of the province, then other provinces (for children whose hukou is elsewhere).
    let birthRegions: [Int]
    /// `birthRegions[0 ..< homeRegions]` are in the province.
    let homeRegions: Int

    init(province: Int) {
        self.province = province
        let suffixes = [2, 3, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 81]
        var counties: [County] = []
        for (i, suffix) in suffixes.enumerated() {
            let hash = SeededRandom.mix(UInt64(province * 100 + i))
            let townships = 8 + Int(hash % 9)
            let villages = (0..<townships).map { 6 + Int(SeededRandom.mix(hash &+ UInt64($0)) % 15) }
            let weight = 0.6 + Double((hash >> 40) % 100) / 100 + (i < 4 ? 0.8 : 0)
            counties.append(County(code: province * 10000 + 100 + suffix, villages: villages, weight: weight))
        }
        self.counties = counties
        var regions = counties.map(\.code)
        regions += [302, 402, 502, 2301, 2501, 2801].map { province * 10000 + $0 }
        homeRegions = regions.count
        for other in [51, 52, 50, 45, 43, 36, 42, 41] where other != province {
            regions += [other * 10000 + 104, other * 10000 + 2301]
        }
        birthRegions = regions
    }

    /// 12-digit code of a village (村/社区): county, township (001…), village (201…).
    func village(_ county: Int, _ township: Int, _ village: Int) -> UInt64 {
        UInt64(counties[county].code) * 1_000_000 + UInt64(township + 1) * 1000 + UInt64(201 + village)
    }

    /// 12-digit code of a township (乡镇/街道).
    func township(_ county: Int, _ township: Int) -> UInt64 {
        UInt64(counties[county].code) * 1_000_000 + UInt64(township + 1) * 1000
    }

    /// The central primary school (21…) of a township.
    func primary(_ county: Int, _ township: Int) -> School {
        School(code: schoolCode(21, county, township + 1), region: self.township(county, township))
    }

    /// The junior middle school (31…) that serves a township; one for every two townships.
    func junior(_ county: Int, _ township: Int) -> School {
        let seat = township / 2 * 2
        return School(code: schoolCode(31, county, township / 2 + 1), region: self.township(county, seat))
    }

    /// The school for `grade` (1–9) in a township.
    func school(grade: Int, _ county: Int, _ township: Int) -> School {
        grade <= 6 ? primary(county, township) : junior(county, township)
    }

    /// Another school of the same level in the county (never the one given).
    func otherSchool(grade: Int, _ county: Int, _ township: Int) -> School {
        let count = counties[county].villages.count
        if grade <= 6 { return primary(county, (township + 1) % count) }
        return junior(county, (township + 2) % count)
    }

    private func schoolCode(_ kind: UInt64, _ county: Int, _ number: Int) -> UInt64 {
        kind * 100_000_000 + UInt64(counties[county].code) * 100 + UInt64(number)
    }
}
