import SiChaIO

/// One input file of a run: which register it holds and where it stands in the run's file order.
public struct InputFile: Sendable {
    public var dataset: Dataset
    public var path: String
    /// Position in the run's file order (datasets in contract order, then files as given).
    public var index: Int

    public init(dataset: Dataset, path: String, index: Int) {
        self.dataset = dataset
        self.path = path
        self.index = index
    }
}

/// What reading one file gives: its records with valid IDs, its rejects and record-level findings
/// that need no other record, and its row accounting.
public struct FileExtract: Sendable {
    public let file: InputFile
    public internal(set) var rowsRead = 0
    public internal(set) var rowsRejected = 0
    public var rowsAccepted: Int { rowsRead - rowsRejected }
    public internal(set) var rejects: [Reject] = []
    public internal(set) var findings: [Finding] = []
    var arena = TextArena()
    var hukou: [HukouRecord] = []
    var xueji: [XuejiRecord] = []
    var roster: [RosterRecord] = []
    var poverty: [PovertyRecord] = []
    /// 学校标识码 → 学校所在地区划代码, as first seen in this xueji file.
    var schoolRegions: [String: String] = [:]
    /// Compressed or plain bytes read from the file.
    public internal(set) var bytesRead = 0
}

/// Reads one register file into a `FileExtract` (四查 on each record as it goes).
public struct RegisterReader: Sendable {
    public let parameters: RunParameters
    public var gb18030 = false
    /// Bytes asked of the source per read; tests vary it.
    public var readSize = 1 << 20

    public init(parameters: RunParameters, gb18030: Bool = false) {
        self.parameters = parameters
        self.gb18030 = gb18030
    }

    /// Reads `file` to the end. Throws a one-line message when the file itself cannot be read.
    public func read(_ file: InputFile) throws(InputError) -> FileExtract {
        let source = try openInput(path: file.path, gb18030: gb18030)
        let csv = CSVReader(source: source, readSize: readSize)
        var out = FileExtract(file: file)
        guard try csv.next() else { throw InputError("empty file: no header row") }
        if let problem = csv.problem { throw InputError("line \(csv.line): header: \(problem)") }
        if TextCheck.encodingProblem(csv.raw) != nil {
            throw InputError("line \(csv.line): header is not valid UTF-8 (GB18030 files need --encoding gb18030)")
        }
        let header = (0..<csv.fieldCount).map { String(decoding: csv.field($0), as: UTF8.self) }
        let positions = try Schema.resolve(header: header, dataset: file.dataset)
        var decoder = RecordDecoder(csv: csv, positions: positions, parameters: parameters, file: file)
        while try csv.next() {
            out.rowsRead += 1
            let problem: String?
            if let csvProblem = csv.problem {
                problem = csvProblem.description
            } else if csv.fieldCount != header.count {
                problem = "field count \(csv.fieldCount), header has \(header.count)"
            } else if let encoding = TextCheck.encodingProblem(csv.raw) {
                problem = encoding
            } else {
                problem = decoder.decode(into: &out)
            }
            if let problem {
                out.rowsRejected += 1
                out.rejects.append(Reject(dataset: file.dataset, location: Location(file: file.index, line: csv.line),
                                          reason: problem, raw: TextCheck.excerpt(csv.raw)))
            }
        }
        out.bytesRead = csv.bytesRead
        return out
    }
}

/// Turns the fields of one CSV record into a record of its dataset, or says why it cannot.
struct RecordDecoder {
    let csv: CSVReader
    let positions: [Int]
    let parameters: RunParameters
    let file: InputFile
    /// Required columns whose value may not be empty (sex and birth date may: they are checked against the ID).
    private let mustHaveValue: [Int]
    private var lastSchool: [UInt8] = []

    init(csv: CSVReader, positions: [Int], parameters: RunParameters, file: InputFile) {
        self.csv = csv
        self.positions = positions
        self.parameters = parameters
        self.file = file
        mustHaveValue = file.dataset.columns.indices.filter {
            let spec = file.dataset.columns[$0]
            return spec.required && spec.name != "sex" && spec.name != "birth_date"
        }
    }

    private func field(_ column: Int) -> UnsafeRawBufferPointer {
        positions[column] >= 0 ? csv.field(positions[column]) : UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// The first required column (other than sex, birth date and `except`) whose value is empty.
    private func missingRequired(except: Int? = nil) -> String? {
        for column in mustHaveValue where column != except && field(column).trimmingSpaces().isEmpty {
            return "missing required value: \(file.dataset.columns[column].name)"
        }
        return nil
    }

    private var location: Location { Location(file: file.index, line: csv.line) }

    /// Parses the ID; an invalid one becomes an ID_INVALID finding and gives key 0.
    private func key(_ column: Int, into out: inout FileExtract, name: TextRef, region: TextRef?, school: TextRef?) -> UInt64 {
        switch IDNumber.parse(field(column), asOf: parameters.asOf) {
        case .success(let id): return id.key
        case .failure(.empty): return 0
        case .failure(let problem):
            out.findings.append(Finding(
                code: .idInvalid, dataset: file.dataset, location: location,
                id: String(decoding: field(column), as: UTF8.self), name: out.arena.string(name),
                regionCode: region.map { out.arena.string($0) } ?? "", schoolCode: school.map { out.arena.string($0) } ?? "",
                detail: problem.description))
            return 0
        }
    }

    private func stated(sex: Int, birth: Int) -> StatedIdentity {
        StatedIdentity(sex: Sex.parse(field(sex))?.rawValue ?? 0, birth: CivilDate.parse(field(birth))?.packed ?? 0)
    }

    /// Decodes the current record into `out`; returns the reject reason, or nil when accepted.
    mutating func decode(into out: inout FileExtract) -> String? {
        switch file.dataset {
        case .hukou: return decodeHukou(into: &out)
        case .xueji: return decodeXueji(into: &out)
        case .roster: return decodeRoster(into: &out)
        case .poverty: return decodePoverty(into: &out)
        }
    }

    private func decodeHukou(into out: inout FileExtract) -> String? {
        typealias C = HukouColumn
        if let missing = missingRequired() { return missing }
        guard let status = HukouStatus.parse(field(C.status.rawValue)) else { return "unreadable status" }
        let name = out.arena.add(field(C.name.rawValue)), region = out.arena.add(field(C.regionCode.rawValue))
        let key = key(C.id.rawValue, into: &out, name: name, region: region, school: nil)
        if key != 0 {
            out.hukou.append(HukouRecord(key: key, location: location, status: status,
                                         stated: stated(sex: C.sex.rawValue, birth: C.birthDate.rawValue),
                                         name: name, region: region))
        }
        return nil
    }

    private mutating func decodeXueji(into out: inout FileExtract) -> String? {
        typealias C = XuejiColumn
        let number = field(C.studentNo.rawValue).trimmingSpaces()
        let withoutID = number.first.map { $0 | 0x20 == UInt8(ascii: "j") || $0 | 0x20 == UInt8(ascii: "l") } ?? false
        if let missing = missingRequired(except: withoutID ? C.id.rawValue : nil) { return missing }
        guard let status = XuejiStatus.parse(field(C.status.rawValue)) else { return "unreadable status" }
        guard let grade = Codebook.grade(field(C.grade.rawValue)) else { return "unreadable grade" }
        let school = field(C.schoolCode.rawValue).trimmingSpaces()
        let name = out.arena.add(field(C.name.rawValue)), schoolRef = out.arena.add(school)
        let region = out.arena.add(field(C.schoolRegionCode.rawValue))
        if !school.elementsEqual(lastSchool) {
            lastSchool = Array(school)
            let code = String(decoding: school, as: UTF8.self)
            if out.schoolRegions[code] == nil { out.schoolRegions[code] = out.arena.string(region) }
        }
        let key = key(C.id.rawValue, into: &out, name: name, region: region, school: schoolRef)
        if key != 0 {
            out.xueji.append(XuejiRecord(key: key, location: location, status: status, grade: grade,
                                         returned: Codebook.flag(field(C.returned.rawValue)),
                                         stated: stated(sex: C.sex.rawValue, birth: C.birthDate.rawValue),
                                         name: name, school: schoolRef, region: region))
        }
        return nil
    }

    private func decodeRoster(into out: inout FileExtract) -> String? {
        typealias C = RosterColumn
        if let missing = missingRequired() { return missing }
        guard let grade = Codebook.grade(field(C.grade.rawValue)) else { return "unreadable grade" }
        guard let expected = Codebook.days(field(C.daysExpected.rawValue)) else { return "unreadable days_expected" }
        guard let absent = Codebook.days(field(C.daysAbsent.rawValue)) else { return "unreadable days_absent" }
        let name = out.arena.add(field(C.name.rawValue)), school = out.arena.add(field(C.schoolCode.rawValue))
        let key = key(C.id.rawValue, into: &out, name: name, region: nil, school: school)
        if key != 0 {
            out.roster.append(RosterRecord(key: key, location: location, grade: grade, daysExpected: expected,
                                           daysAbsent: absent, name: name, school: school))
        } else if let detail = Checks.chronicAbsence(expected: expected, absent: absent, threshold: parameters.absenceThreshold) {
            out.findings.append(Finding(
                code: .chronicAbsence, dataset: .roster, location: location,
                id: String(decoding: field(C.id.rawValue), as: UTF8.self), name: out.arena.string(name),
                regionCode: "", schoolCode: out.arena.string(school), detail: detail))
        }
        return nil
    }

    private func decodePoverty(into out: inout FileExtract) -> String? {
        typealias C = PovertyColumn
        if let missing = missingRequired() { return missing }
        guard let category = PovertyCategory.parse(field(C.category.rawValue)) else { return "unreadable category" }
        var groups = SpecialGroups()
        for (column, group) in [(C.disabled, SpecialGroups.disabled), (.leftBehind, .leftBehind), (.orphan, .orphan),
                                (.singleParent, .singleParent), (.relocated, .relocated)]
            where Codebook.flag(field(column.rawValue)) { groups.insert(group) }
        let name = out.arena.add(field(C.name.rawValue)), region = out.arena.add(field(C.regionCode.rawValue))
        let household = out.arena.add(field(C.householdID.rawValue))
        let key = key(C.id.rawValue, into: &out, name: name, region: region, school: nil)
        if key != 0 {
            out.poverty.append(PovertyRecord(key: key, location: location, category: category, groups: groups,
                                             household: household, name: name, region: region))
        }
        return nil
    }
}
