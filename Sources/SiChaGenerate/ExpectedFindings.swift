import SiChaCore

/// The findings that contract section 4 says a household's rows give, with the default
/// parameters (ages 6–15, absence threshold 0.2) and all four registers given.
///
/// Every person's rows are made within one household, and no two people share an ID, so the
/// findings of a household depend on its rows alone. One finding per record for the record-level
/// checks (四查), one per person and code for the comparisons (三比对).
enum ExpectedFindings {
    /// Calls `emit(code, dataset, person, form)` for every finding, where `form` is how the ID is
    /// written in the record named (a valid form stands for the normalised ID).
    static func derive(_ h: Household, _ emit: (FindingCode, Dataset, Int, IDForm) -> Void) {
        // Records whose ID is invalid take part in no comparison.
        for r in h.hukou where r.id.isInvalid { emit(.idInvalid, .hukou, r.person, r.id) }
        for r in h.xueji where r.id.isInvalid { emit(.idInvalid, .xueji, r.person, r.id) }
        for r in h.roster where r.id.isInvalid {
            emit(.idInvalid, .roster, r.person, r.id)
            if chronic(r) { emit(.chronicAbsence, .roster, r.person, r.id) }
        }
        for r in h.poverty where r.id.isInvalid { emit(.idInvalid, .poverty, r.person, r.id) }

        for (i, p) in h.persons.enumerated() where p.key != 0 {
            func found(_ code: FindingCode, _ dataset: Dataset, times: Int = 1) {
                for _ in 0..<times { emit(code, dataset, i, .plain) }
            }
            // 户籍
            var hukouCount = 0, normalCount = 0, allInactive = true
            var reference: HukouRow?
            for r in h.hukou where r.person == i && r.id.isValid {
                hukouCount += 1
                if r.birth != p.birth { found(.idBirthMismatch, .hukou) }
                if r.sex != p.sex.rawValue { found(.idSexMismatch, .hukou) }
                if r.status == .normal {
                    normalCount += 1
                    if reference == nil { reference = r }
                }
                if r.status != .deceased && r.status != .cancelled { allInactive = false }
            }
            if normalCount > 1 { found(.duplicateID, .hukou, times: normalCount) }

            // 学籍
            var activeCount = 0, enrolledCount = 0
            var accounted = false, dropped = false, identity = false
            for r in h.xueji where r.person == i && r.id.isValid {
                if r.birth != p.birth { found(.idBirthMismatch, .xueji) }
                if r.sex != p.sex.rawValue { found(.idSexMismatch, .xueji) }
                if r.status.isActive { activeCount += 1 }
                if r.status == .enrolled { enrolledCount += 1 }
                if r.status.isActive || (r.status == .graduated && r.grade == 9) { accounted = true }
                if r.status == .droppedOut { dropped = true }
                // Birth dates and sexes are compared only where both records state a readable one.
                if let ref = reference {
                    if r.name != ref.name || (r.birth > 0 && ref.birth > 0 && r.birth != ref.birth)
                        || ((1...2).contains(r.sex) && (1...2).contains(ref.sex) && r.sex != ref.sex) { identity = true }
                }
            }
            if activeCount > 1 { found(.duplicateID, .xueji, times: activeCount) }

            // 在校生
            var rosterCount = 0, countedWhereEnrolled = false
            for r in h.roster where r.person == i && r.id.isValid {
                rosterCount += 1
                if chronic(r) { found(.chronicAbsence, .roster) }
                if h.xueji.contains(where: { $0.person == i && $0.id.isValid && $0.status == .enrolled && $0.school == r.school }) {
                    countedWhereEnrolled = true
                }
            }
            if rosterCount > 1 { found(.duplicateID, .roster, times: rosterCount) }

            // 建档立卡
            var povertyCount = 0, households = 0
            var firstHousehold: UInt64 = 0
            for r in h.poverty where r.person == i && r.id.isValid {
                povertyCount += 1
                if povertyCount == 1 { firstHousehold = r.household; households = 1 }
                else if r.household != firstHousehold { households = 2 }
            }
            if households > 1 { found(.duplicateID, .poverty, times: povertyCount) }

            // 三比对
            let inScope = (6...15).contains(p.age)
            if inScope && !accounted && !dropped && normalCount > 0 { found(.hukouNoXueji, .hukou) }
            if inScope && !accounted && dropped { found(.xuejiDroppedOut, .xueji) }
            if activeCount > 0 && hukouCount == 0 { found(.xuejiNoHukou, .xueji) }
            if activeCount > 0 && hukouCount > 0 && allInactive { found(.xuejiHukouInactive, .xueji) }
            if identity { found(.identityMismatch, .xueji) }
            if enrolledCount > 0 && rosterCount == 0 { found(.enrolledNotPresent, .xueji) }
            if rosterCount > 0 && activeCount == 0 { found(.presentNotEnrolled, .roster) }
            if rosterCount > 0 && enrolledCount > 0 && !countedWhereEnrolled { found(.schoolMismatch, .roster) }
            if inScope && povertyCount > 0 && (!accounted || (enrolledCount > 0 && rosterCount == 0)) {
                found(.povertyChildNotInSchool, .poverty)
            }
            if povertyCount > 0 && hukouCount == 0 { found(.povertyNoHukou, .poverty) }
        }
    }

    /// `CHRONIC_ABSENCE` at the default threshold of 0.2.
    static func chronic(_ r: RosterRow) -> Bool {
        r.expected > 0 && Double(r.absent) / Double(r.expected) >= 0.2
    }
}
