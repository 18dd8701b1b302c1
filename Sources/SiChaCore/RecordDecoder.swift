import SiChaIO

/// Turns the fields of one CSV record into a record of its dataset, or says why it cannot.
///
/// The record-level checks that need no other record (ID_INVALID, ID_BIRTH_MISMATCH,
/// ID_SEX_MISMATCH, CHRONIC_ABSENCE) are made here, as each record is read.
struct RecordDecoder {
    let csv: CSVReader
    let layout: Layout
    let parameters: RunParameters
    let selection: HukouSelection
    /// Required columns whose value may not be empty (sex and birth date may: they are checked
    /// against the ID), and where they are in a row (a required column is always there).
    private let mustHaveValue: [(column: Int, position: Int)]
    /// Schools whose region is already noted (codes of up to 17 digits, as numbers).
    private var notedSchools = KeySet()
    /// Hukou records of people not of school age (`.population`), not yet known to be wanted:
    /// they are looked up together every few thousand rows, so that the cache misses of the
    /// lookups overlap instead of stalling each row (`maybe`: the summary of the set may hold the
    /// key). Their names and regions wait in `adultText` (at `adultTexts`, see `KeyLines.keep`).
    private var adults: [HukouRecord] = []
    private var maybe: [Bool] = []
    private var adultText: [UInt8] = [], adultTexts: [Int] = []
    /// The keys of `.population` that are kept in full.
    private let interesting: KeySet?

    init(csv: CSVReader, layout: Layout, parameters: RunParameters, selection: HukouSelection) {
        self.csv = csv
        self.layout = layout
        self.parameters = parameters
        self.selection = selection
        if case .population(let keys, _) = selection { interesting = keys } else { interesting = nil }
        let columns = layout.file.dataset.columns
        mustHaveValue = columns.indices.filter { columns[$0].required && columns[$0].name != "sex" && columns[$0].name != "birth_date" }
            .map { ($0, layout.positions[$0]) }
    }

    var location: Location { Location(file: layout.file.index, line: csv.line) }

    private func field(_ column: Int) -> UnsafeRawBufferPointer {
        let position = layout.positions[column]
        return position >= 0 ? csv.field(position) : UnsafeRawBufferPointer(start: nil, count: 0)
    }

    private func string(_ column: Int?) -> String {
        column.map { String(decoding: field($0).trimmingSpaces(), as: UTF8.self) } ?? ""
    }

    /// The first required column (other than sex, birth date and `except`) whose value is empty.
    /// (Mutating, as `identify` is, though neither changes the decoder: called from a mutating
    /// method, a non-mutating one is given a copy of the whole decoder, 216 bytes, on every row.)
    private mutating func missingRequired(except: Int? = nil) -> String? {
        for (column, position) in mustHaveValue where column != except {
            let value = csv.field(position)
            // Most values start with a byte that is neither a space, a tab nor the start of U+3000.
            if let first = value.first, first > 0x20, first != 0xE3 { continue }
            if value.trimmingSpaces().isEmpty { return "missing required value: \(layout.file.dataset.columns[column].name)" }
        }
        return nil
    }

    /// A finding on the current record, its text taken from the record's own fields.
    private func finding(_ code: FindingCode, id: IDNumber?, rawID column: Int, name: Int, region: Int?, school: Int?,
                         _ detail: String) -> Finding {
        Finding(code: code, dataset: layout.file.dataset, location: location, key: id?.key ?? 0,
                rawID: id == nil ? String(decoding: field(column), as: UTF8.self) : "", name: string(name),
                regionCode: string(region), schoolCode: string(school), detail: detail)
    }

    /// Parses the ID. An invalid one becomes an ID_INVALID finding; a valid one is checked against
    /// the record's own sex and birth date when `stated` columns are given. Nil when not valid.
    private mutating func identify(_ column: Int, name: Int, region: Int?, school: Int?, stated: (sex: Int, birth: Int)?,
                          into out: inout FileExtract) -> (IDNumber, StatedIdentity)? {
        switch IDNumber.parse(field(column), asOf: parameters.asOf) {
        case .success(let id):
            guard let stated else { return (id, StatedIdentity(sex: 0, birth: 0)) }
            // Most birth dates are written `YYYY-MM-DD` and are the ID's: those need no check as dates.
            let written = field(stated.birth), birth = id.birthDate.packed
            let said = StatedIdentity(sex: Sex.parse(field(stated.sex))?.rawValue ?? 0,
                                      birth: CivilDate.dashed(written) == Int(birth) ? birth : CivilDate.parse(written)?.packed ?? 0)
            if let d = Checks.birthMismatch(id, said) {
                out.findings.append(finding(.idBirthMismatch, id: id, rawID: column, name: name, region: region, school: school, d))
            }
            if let d = Checks.sexMismatch(id, said) {
                out.findings.append(finding(.idSexMismatch, id: id, rawID: column, name: name, region: region, school: school, d))
            }
            return (id, said)
        case .failure(.empty):
            return nil
        case .failure(let problem):
            out.findings.append(finding(.idInvalid, id: nil, rawID: column, name: name, region: region, school: school,
                                        problem.description))
            return nil
        }
    }

    /// Decodes the current record into `out`; returns the reject reason, or nil when accepted.
    mutating func decode(into out: inout FileExtract) -> String? {
        switch layout.file.dataset {
        case .hukou: return decodeHukou(into: &out)
        case .xueji: return decodeXueji(into: &out)
        case .roster: return decodeRoster(into: &out)
        case .poverty: return decodePoverty(into: &out)
        }
    }

    private mutating func decodeHukou(into out: inout FileExtract) -> String? {
        typealias C = HukouColumn
        if let missing = missingRequired() { return missing }
        guard let status = HukouStatus.parse(field(C.status.rawValue)) else { return "unreadable status" }
        guard let (id, stated) = identify(C.id.rawValue, name: C.name.rawValue, region: C.regionCode.rawValue, school: nil,
                                          stated: (C.sex.rawValue, C.birthDate.rawValue), into: &out) else { return nil }
        switch selection {
        case .all: break
        case .population(_, let scope):
            if !scope.contains(id.birthDate.packed) {
                adults.append(HukouRecord(key: id.key, location: location, name: TextRef(offset: 0, count: 0),
                                          region: TextRef(offset: 0, count: 0), stated: stated, status: status))
                adultTexts.append(KeyLines.keep(name: field(C.name.rawValue), region: field(C.regionCode.rawValue), in: &adultText))
                maybe.append(interesting!.mayContain(id.key))
                if adults.count == 4096 { finish(into: &out) }
                return nil
            }
        }
        out.hukou.append(HukouRecord(key: id.key, location: location, name: out.arena.add(field(C.name.rawValue)),
                                     region: out.arena.add(field(C.regionCode.rawValue)), stated: stated, status: status))
        return nil
    }

    /// Sorts out the adults read so far: those the other registers name are kept in full, of the
    /// rest only the key, line, name and region of `normal` records and the key of others. Called
    /// every few thousand rows and at the end.
    mutating func finish(into out: inout FileExtract) {
        guard let interesting, !adults.isEmpty else { return }
        let wanted = adults.indices.map { maybe[$0] && interesting.contains(adults[$0].key) }
        var normal: [KeyLines.Entry] = []
        normal.reserveCapacity(adults.count)
        adultText.withUnsafeBytes { texts in
            for (i, var r) in adults.enumerated() {
                if wanted[i] {
                    let (name, region) = KeyLines.kept(texts, at: adultTexts[i])!
                    (r.name, r.region) = (out.arena.add(name), out.arena.add(region))
                    out.hukou.append(r)
                } else if r.status == .normal {
                    normal.append((r.key, r.location.line, adultTexts[i]))
                } else {
                    out.population.add(other: r.key)
                }
            }
        }
        out.population.add(normal, texts: adultText)
        adults.removeAll(keepingCapacity: true)
        maybe.removeAll(keepingCapacity: true)
        adultText.removeAll(keepingCapacity: true)
        adultTexts.removeAll(keepingCapacity: true)
    }

    private mutating func decodeXueji(into out: inout FileExtract) -> String? {
        typealias C = XuejiColumn
        let number = field(C.studentNo.rawValue).trimmingSpaces()
        let withoutID = number.first.map { $0 | 0x20 == UInt8(ascii: "j") || $0 | 0x20 == UInt8(ascii: "l") } ?? false
        if let missing = missingRequired(except: withoutID ? C.id.rawValue : nil) { return missing }
        guard let status = XuejiStatus.parse(field(C.status.rawValue)) else { return "unreadable status" }
        guard let grade = Codebook.grade(field(C.grade.rawValue)) else { return "unreadable grade" }
        let school = field(C.schoolCode.rawValue).trimmingSpaces()
        let noted = TextRef.digits(school).map { !notedSchools.insert($0) } ?? false
        if !noted {
            let code = String(decoding: school, as: UTF8.self)
            if out.schoolRegions[code] == nil { out.schoolRegions[code] = string(C.schoolRegionCode.rawValue) }
        }
        guard let (id, stated) = identify(C.id.rawValue, name: C.name.rawValue, region: C.schoolRegionCode.rawValue,
                                          school: C.schoolCode.rawValue, stated: (C.sex.rawValue, C.birthDate.rawValue),
                                          into: &out) else { return nil }
        out.xueji.append(XuejiRecord(key: id.key, location: location, name: out.arena.add(field(C.name.rawValue)),
                                     school: out.arena.add(school), region: out.arena.add(field(C.schoolRegionCode.rawValue)),
                                     stated: stated, status: status, grade: grade, returned: Codebook.flag(field(C.returned.rawValue))))
        return nil
    }

    private mutating func decodeRoster(into out: inout FileExtract) -> String? {
        typealias C = RosterColumn
        if let missing = missingRequired() { return missing }
        guard let grade = Codebook.grade(field(C.grade.rawValue)) else { return "unreadable grade" }
        guard let expected = Codebook.days(field(C.daysExpected.rawValue)) else { return "unreadable days_expected" }
        guard let absent = Codebook.days(field(C.daysAbsent.rawValue)) else { return "unreadable days_absent" }
        let id = identify(C.id.rawValue, name: C.name.rawValue, region: nil, school: C.schoolCode.rawValue, stated: nil, into: &out)?.0
        if let detail = Checks.chronicAbsence(expected: expected, absent: absent, threshold: parameters.absenceThreshold) {
            out.findings.append(finding(.chronicAbsence, id: id, rawID: C.id.rawValue, name: C.name.rawValue, region: nil,
                                        school: C.schoolCode.rawValue, detail))
        }
        if let id {
            out.roster.append(RosterRecord(key: id.key, location: location, name: out.arena.add(field(C.name.rawValue)),
                                           school: out.arena.add(field(C.schoolCode.rawValue)), daysExpected: expected,
                                           daysAbsent: absent, grade: grade))
        }
        return nil
    }

    private mutating func decodePoverty(into out: inout FileExtract) -> String? {
        typealias C = PovertyColumn
        if let missing = missingRequired() { return missing }
        guard let category = PovertyCategory.parse(field(C.category.rawValue)) else { return "unreadable category" }
        var groups = SpecialGroups()
        for (column, group) in PovertyColumn.groups where Codebook.flag(field(column.rawValue)) { groups.insert(group) }
        guard let (id, _) = identify(C.id.rawValue, name: C.name.rawValue, region: C.regionCode.rawValue, school: nil,
                                     stated: nil, into: &out) else { return nil }
        out.poverty.append(PovertyRecord(key: id.key, location: location, household: out.arena.add(field(C.householdID.rawValue)),
                                         name: out.arena.add(field(C.name.rawValue)), region: out.arena.add(field(C.regionCode.rawValue)),
                                         category: category, groups: groups))
        return nil
    }
}

extension PovertyColumn {
    /// The flag columns and the special group each marks.
    static let groups: [(PovertyColumn, SpecialGroups)] =
        [(.disabled, .disabled), (.leftBehind, .leftBehind), (.orphan, .orphan), (.singleParent, .singleParent), (.relocated, .relocated)]
}
