import Dispatch
import SiChaIO

extension FindingCode {
    /// The datasets a comparison needs; empty for a record-level check, which always runs.
    public var needs: [Dataset] {
        switch self {
        case .idInvalid, .idBirthMismatch, .idSexMismatch, .duplicateID, .chronicAbsence: return []
        case .hukouNoXueji: return [.hukou, .xueji]
        case .xuejiDroppedOut: return [.xueji]
        case .xuejiNoHukou, .xuejiHukouInactive, .identityMismatch: return [.xueji, .hukou]
        case .enrolledNotPresent, .presentNotEnrolled, .schoolMismatch: return [.roster, .xueji]
        case .povertyChildNotInSchool: return [.poverty, .xueji]
        case .povertyNoHukou: return [.poverty, .hukou]
        }
    }
}

/// Row accounting of one input file.
public struct FileStats: Sendable {
    public var dataset: Dataset
    public var path: String
    public var rowsRead: Int
    public var rowsAccepted: Int
    public var rowsRejected: Int
    public var bytesRead: Int
}

/// Everything a run found, in output order.
public struct Verification: Sendable {
    public var parameters: RunParameters
    public var files: [FileStats]
    /// The datasets that were given at least one file.
    public var given: Set<Dataset>
    /// Ordered by code, then file order, then line.
    public var findings: [Finding]
    /// Ordered by file order, then line.
    public var rejects: [Reject]
    /// Ranked: score, then region code, then ID.
    public var cases: [Case]

    /// Whether the comparison behind `code` ran (all the datasets it needs were given).
    public func ran(_ code: FindingCode) -> Bool { code.needs.allSatisfy(given.contains) }
}

/// Runs 四查三比对 over a set of input files.
public struct Verifier: Sendable {
    public var parameters: RunParameters
    public var model: RiskModel
    public var gb18030: Bool
    public var threads: Int

    public init(parameters: RunParameters, model: RiskModel = .standard, gb18030: Bool = false, threads: Int = 1) {
        self.parameters = parameters
        self.model = model
        self.gb18030 = gb18030
        self.threads = max(1, threads)
    }

    /// Reads every file (several at once when `threads` > 1) and joins them. Throws the first
    /// unreadable file, in file order, as `(file, error)`.
    public func run(_ files: [InputFile]) throws(FileError) -> Verification {
        let reader = RegisterReader(parameters: parameters, gb18030: gb18030)
        let results = ResultSlots<Result<FileExtract, InputError>>(count: files.count)
        let workers = min(threads, max(1, files.count))
        let next = ResultSlots<Int>(count: 1)
        next.set(0, 0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = next.claim(below: files.count) {
                do throws(InputError) { results.set(i, .success(try reader.read(files[i]))) }
                catch { results.set(i, .failure(error)) }
            }
        }
        var extracts: [FileExtract] = []
        for (i, result) in results.values.enumerated() {
            switch result! {
            case .success(let extract): extracts.append(extract)
            case .failure(let error): throw FileError(path: files[i].path, error: error)
            }
        }
        return join(extracts, given: Set(files.map(\.dataset)))
    }

    /// 三比对: joins the extracts of all files by ID and ranks the cases.
    public func join(_ extracts: [FileExtract], given: Set<Dataset>) -> Verification {
        var join = PersonJoin(parameters: parameters, model: model, given: given, extracts: extracts)
        join.run()
        var findings = extracts.flatMap(\.findings) + join.findings
        for i in findings.indices where findings[i].dataset == .roster {
            findings[i].regionCode = join.schoolRegions[findings[i].schoolCode] ?? ""
        }
        findings.sort { ($0.code, $0.location) < ($1.code, $1.location) }
        var cases = join.cases
        cases.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            if a.regionCode != b.regionCode { return a.regionCode.utf8.lexicographicallyPrecedes(b.regionCode.utf8) }
            return a.id < b.id
        }
        for i in cases.indices { cases[i].rank = i + 1 }
        return Verification(
            parameters: parameters,
            files: extracts.map { FileStats(dataset: $0.file.dataset, path: $0.file.path, rowsRead: $0.rowsRead,
                                            rowsAccepted: $0.rowsAccepted, rowsRejected: $0.rowsRejected, bytesRead: $0.bytesRead) },
            given: given, findings: findings,
            rejects: extracts.flatMap(\.rejects).sorted { $0.location < $1.location },
            cases: cases)
    }
}

/// An input file that cannot be read, with the reason in one line.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var error: InputError
    public var description: String { "\(path): \(error.message)" }
}

/// Fixed slots that worker threads fill, each slot by one worker.
final class ResultSlots<T>: @unchecked Sendable {
    private(set) var values: [T?]
    private let lock = DispatchQueue(label: "sicha.slots")
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.sync { values[i] = value } }
}

extension ResultSlots where T == Int {
    /// Hands out 0, 1, 2, ... below `limit`, each once.
    func claim(below limit: Int) -> Int? {
        lock.sync {
            let i = values[0]!
            guard i < limit else { return nil }
            values[0] = i + 1
            return i
        }
    }
}

/// Walks the four registers sorted by ID, one person at a time.
struct PersonJoin {
    let parameters: RunParameters
    let model: RiskModel
    let given: Set<Dataset>
    let arenas: [TextArena]
    var hukou: [HukouRecord] = []
    var xueji: [XuejiRecord] = []
    var roster: [RosterRecord] = []
    var poverty: [PovertyRecord] = []
    var schoolRegions: [String: String] = [:]
    var findings: [Finding] = []
    var cases: [Case] = []

    init(parameters: RunParameters, model: RiskModel, given: Set<Dataset>, extracts: [FileExtract]) {
        self.parameters = parameters
        self.model = model
        self.given = given
        arenas = extracts.map(\.arena)
        for e in extracts {
            hukou += e.hukou; xueji += e.xueji; roster += e.roster; poverty += e.poverty
            schoolRegions.merge(e.schoolRegions) { first, _ in first }
        }
    }

    mutating func run() {
        func order<R: KeyedRecord>(_ a: R, _ b: R) -> Bool { (a.key, a.location) < (b.key, b.location) }
        hukou.sort(by: order); xueji.sort(by: order); roster.sort(by: order); poverty.sort(by: order)
        var ih = 0, ix = 0, ir = 0, ip = 0
        func end<R: KeyedRecord>(_ table: [R], _ from: Int, _ key: UInt64) -> Int {
            var i = from
            while i < table.count && table[i].key == key { i += 1 }
            return i
        }
        while true {
            var key = UInt64.max
            if ih < hukou.count { key = min(key, hukou[ih].key) }
            if ix < xueji.count { key = min(key, xueji[ix].key) }
            if ir < roster.count { key = min(key, roster[ir].key) }
            if ip < poverty.count { key = min(key, poverty[ip].key) }
            if key == .max { break }
            let eh = end(hukou, ih, key), ex = end(xueji, ix, key), er = end(roster, ir, key), ep = end(poverty, ip, key)
            person(IDNumber(key: key), hukou[ih..<eh], xueji[ix..<ex], roster[ir..<er], poverty[ip..<ep])
            ih = eh; ix = ex; ir = er; ip = ep
        }
    }

    private func text(_ location: Location, _ ref: TextRef) -> String { arenas[location.file].string(ref) }

    // MARK: findings naming one record of each dataset

    private func finding(_ code: FindingCode, _ id: IDNumber, _ r: HukouRecord, _ detail: String) -> Finding {
        Finding(code: code, dataset: .hukou, location: r.location, id: id.description, name: text(r.location, r.name),
                regionCode: text(r.location, r.region), schoolCode: "", detail: detail)
    }

    private func finding(_ code: FindingCode, _ id: IDNumber, _ r: XuejiRecord, _ detail: String) -> Finding {
        Finding(code: code, dataset: .xueji, location: r.location, id: id.description, name: text(r.location, r.name),
                regionCode: text(r.location, r.region), schoolCode: text(r.location, r.school), detail: detail)
    }

    private func finding(_ code: FindingCode, _ id: IDNumber, _ r: RosterRecord, _ detail: String) -> Finding {
        Finding(code: code, dataset: .roster, location: r.location, id: id.description, name: text(r.location, r.name),
                regionCode: "", schoolCode: text(r.location, r.school), detail: detail)
    }

    private func finding(_ code: FindingCode, _ id: IDNumber, _ r: PovertyRecord, _ detail: String) -> Finding {
        Finding(code: code, dataset: .poverty, location: r.location, id: id.description, name: text(r.location, r.name),
                regionCode: text(r.location, r.region), schoolCode: "", detail: detail)
    }

    // MARK: one person

    private mutating func person(_ id: IDNumber, _ h: ArraySlice<HukouRecord>, _ x: ArraySlice<XuejiRecord>,
                                 _ r: ArraySlice<RosterRecord>, _ p: ArraySlice<PovertyRecord>) {
        var found: [Finding] = []

        // 四查 on records of this person.
        for rec in h {
            if let d = Checks.birthMismatch(id, rec.stated) { found.append(finding(.idBirthMismatch, id, rec, d)) }
            if let d = Checks.sexMismatch(id, rec.stated) { found.append(finding(.idSexMismatch, id, rec, d)) }
        }
        for rec in x {
            if let d = Checks.birthMismatch(id, rec.stated) { found.append(finding(.idBirthMismatch, id, rec, d)) }
            if let d = Checks.sexMismatch(id, rec.stated) { found.append(finding(.idSexMismatch, id, rec, d)) }
        }
        for rec in r {
            if let d = Checks.chronicAbsence(expected: rec.daysExpected, absent: rec.daysAbsent, threshold: parameters.absenceThreshold) {
                found.append(finding(.chronicAbsence, id, rec, d))
            }
        }
        let normal = h.filter { $0.status == .normal }
        if normal.count > 1 {
            for rec in normal { found.append(finding(.duplicateID, id, rec, "\(normal.count) hukou records with status normal")) }
        }
        let active = x.filter { $0.status.isActive }
        if active.count > 1 {
            for rec in active { found.append(finding(.duplicateID, id, rec, "\(active.count) xueji records with an active status (一人多籍)")) }
        }
        if r.count > 1 {
            for rec in r { found.append(finding(.duplicateID, id, rec, "\(r.count) roster rows (一人多校)")) }
        }
        if p.count > 1 {
            let households = Set(p.map { text($0.location, $0.household) })
            if households.count > 1 {
                for rec in p { found.append(finding(.duplicateID, id, rec, "in \(households.count) poverty households")) }
            }
        }

        // 三比对.
        let inScope = parameters.inScope(id)
        let accounted = x.contains { $0.status.isActive || ($0.status == .graduated && $0.grade == 9) }
        let dropped = x.first { $0.status == .droppedOut }
        let enrolled = x.filter { $0.status == .enrolled }
        let lastStatus = x.last.map { "last xueji record: \($0.status.name), grade \($0.grade)" } ?? "no xueji record"
        let given = self.given
        func has(_ d: Dataset) -> Bool { given.contains(d) }

        if has(.hukou), has(.xueji), inScope, !accounted, dropped == nil, let first = h.first, !normal.isEmpty {
            found.append(finding(.hukouNoXueji, id, first, lastStatus))
        }
        if has(.xueji), inScope, !accounted, let d = dropped {
            found.append(finding(.xuejiDroppedOut, id, x.first!, "dropped_out in grade \(d.grade)"))
        }
        if has(.xueji), has(.hukou), let first = x.first {
            if !active.isEmpty && h.isEmpty {
                found.append(finding(.xuejiNoHukou, id, first, "active xueji record, no hukou record"))
            }
            if !active.isEmpty, !h.isEmpty, h.allSatisfy({ $0.status == .deceased || $0.status == .cancelled }) {
                found.append(finding(.xuejiHukouInactive, id, first, "hukou status \(h.last!.status.name) (空挂学籍)"))
            }
            if let reference = normal.first, let detail = identityDifference(x, reference) {
                found.append(finding(.identityMismatch, id, first, detail))
            }
        }
        if has(.xueji), has(.roster) {
            if let e = enrolled.first, r.isEmpty {
                found.append(finding(.enrolledNotPresent, id, x.first!, "enrolled at \(text(e.location, e.school)), on no roster"))
            }
            if let first = r.first, active.isEmpty {
                found.append(finding(.presentNotEnrolled, id, first, "on the roster, no active xueji record (\(lastStatus))"))
            }
            if let first = r.first, !enrolled.isEmpty {
                let counted = Set(r.map { text($0.location, $0.school) })
                let schools = enrolled.map { text($0.location, $0.school) }
                if !schools.contains(where: counted.contains) {
                    found.append(finding(.schoolMismatch, id, first,
                                         "enrolled at \(schools.joined(separator: "/")), counted at \(counted.sorted().joined(separator: "/"))"))
                }
            }
        }
        if has(.poverty), has(.xueji), inScope, let first = p.first {
            if !accounted {
                found.append(finding(.povertyChildNotInSchool, id, first, "not accounted for (\(lastStatus))"))
            } else if has(.roster), !enrolled.isEmpty, r.isEmpty {
                found.append(finding(.povertyChildNotInSchool, id, first, "enrolled, on no roster"))
            }
        }
        if has(.poverty), has(.hukou), let first = p.first, h.isEmpty {
            found.append(finding(.povertyNoHukou, id, first, "no hukou record"))
        }

        let codes = Set(found.map(\.code))
        findings += found
        if codes.contains(where: \.makesCase) {
            cases.append(makeCase(id, codes: codes, h: h, x: x, r: r, p: p, accounted: accounted))
        }
    }

    /// How the xueji records' name, birth date or sex differ from the `normal` hukou record, or nil.
    private func identityDifference(_ x: ArraySlice<XuejiRecord>, _ reference: HukouRecord) -> String? {
        var parts: [String] = []
        let hukouArena = arenas[reference.location.file]
        if let rec = x.first(where: { !arenas[$0.location.file].equal($0.name, hukouArena, reference.name) }) {
            parts.append("name \(text(rec.location, rec.name))/\(text(reference.location, reference.name))")
        }
        if reference.stated.birth != 0,
           let rec = x.first(where: { $0.stated.birth != 0 && $0.stated.birth != reference.stated.birth }) {
            parts.append("birth_date \(Checks.date(rec.stated.birth))/\(Checks.date(reference.stated.birth))")
        }
        if reference.stated.sex != 0, let rec = x.first(where: { $0.stated.sex != 0 && $0.stated.sex != reference.stated.sex }) {
            parts.append("sex \(Sex(rawValue: rec.stated.sex)!.code)/\(Sex(rawValue: reference.stated.sex)!.code)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ") + " (xueji/hukou)"
    }

    private func makeCase(_ id: IDNumber, codes: Set<FindingCode>, h: ArraySlice<HukouRecord>, x: ArraySlice<XuejiRecord>,
                          r: ArraySlice<RosterRecord>, p: ArraySlice<PovertyRecord>, accounted: Bool) -> Case {
        let age = parameters.age(id)
        let normal = h.first { $0.status == .normal }
        let current = x.last { $0.status.isActive } ?? x.last
        let grade = current.map { Int($0.grade) } ?? r.first.map { Int($0.grade) }
        var facts = RiskFacts()
        facts.codes = codes
        facts.category = p.map(\.category).min()
        facts.groups = p.reduce(SpecialGroups()) { $0.union($1.groups) }
        if let grade {
            facts.overAge = age - (grade + 5) >= 2
            facts.upperJuniorGrade = grade >= 8
        }
        if let last = x.last { facts.primaryToJuniorGap = !accounted && last.status == .graduated && last.grade == 6 }
        facts.returnedBefore = x.contains { $0.returned }
        facts.absenceRate = r.map { $0.daysExpected > 0 ? Double($0.daysAbsent) / Double($0.daysExpected) : 0 }.max() ?? 0
        let reasons = model.reasons(facts)
        let score = model.score(reasons)

        let name = normal.map { text($0.location, $0.name) } ?? x.first.map { text($0.location, $0.name) }
            ?? p.first.map { text($0.location, $0.name) } ?? r.first.map { text($0.location, $0.name) } ?? ""
        let school = current.map { text($0.location, $0.school) } ?? r.first.map { text($0.location, $0.school) } ?? ""
        let region = normal.map { text($0.location, $0.region) } ?? current.map { text($0.location, $0.region) }
            ?? p.first.map { text($0.location, $0.region) } ?? schoolRegions[school] ?? ""
        return Case(level: model.level(score), score: score, id: id, name: name, age: age, regionCode: region,
                    schoolCode: school, grade: grade, povertyCategory: facts.category,
                    codes: codes.sorted(), reasons: reasons)
    }
}
