#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
}

/// Everything a run found, in output order.
public struct Verification: Sendable {
    public var parameters: RunParameters
    public var files: [FileStats]
    /// The datasets that were given at least one file.
    public var given: Set<Dataset>
    /// Ordered by code, then file order, then line.
    public let findings: SpillList<Finding>
    /// How many findings there are of each code.
    public func count(_ code: FindingCode) -> Int { findings.counts[code.ordinal] }
    /// Ordered by file order, then line.
    public var rejects: [Reject]
    /// Ranked: score, then region code, then ID.
    public let cases: SpillList<Case>
    /// Every school-age person seen in any register, by ID.
    public var children: [InScopeChild]
    /// The model that scored the cases (it names their reasons).
    public var model: RiskModel
    /// The text of the records, by file.
    let arenas: [TextArena]

    /// 学校标识码 → 学校所在地区划代码 from the xueji register.
    public var schoolRegions: [String: String]

    /// The text a ledger entry refers to.
    public func text(_ t: RecordText) -> String { t.file < 0 ? "" : arenas[Int(t.file)].string(t.ref) }

    /// Calls `body` with the texts of the records as bytes, to be read on several threads at once
    /// without counting references to shared storage (a ledger holds millions of rows).
    public func withTexts<R>(_ body: (Texts) -> R) -> R {
        func from(_ i: Int, _ bytes: [UnsafeRawBufferPointer]) -> R {
            i == arenas.count ? body(Texts(arenas: bytes)) : arenas[i].bytes.withUnsafeBytes { from(i + 1, bytes + [$0]) }
        }
        return from(0, [])
    }

    /// The texts of a run's records, valid inside `withTexts`.
    public struct Texts: @unchecked Sendable {
        let arenas: [UnsafeRawBufferPointer]

        /// Calls `body` with the bytes of the text a ledger entry refers to, without making a string.
        public func with(_ t: RecordText, _ body: (UnsafeRawBufferPointer) -> Void) {
            t.file < 0 ? body(UnsafeRawBufferPointer(start: nil, count: 0)) : TextArena.withBytes(t.ref, in: arenas[Int(t.file)], body)
        }
    }

    /// A child's region code; for a child known only from a roster, the region of the school.
    public func regionCode(_ child: InScopeChild) -> String {
        let region = text(child.region)
        return region.isEmpty ? schoolRegions[text(child.school)] ?? "" : region
    }

    /// Whether the comparison behind `code` ran (all the datasets it needs were given).
    public func ran(_ code: FindingCode) -> Bool { code.needs.allSatisfy(given.contains) }
}

/// Runs 四查三比对 over a set of input files.
public struct Verifier: Sendable {
    public var parameters: RunParameters
    public var model: RiskModel
    public var gb18030: Bool
    public var threads: Int
    /// Bytes of decompressed text per chunk handed to a worker (peaks 3 to 6 MiB lower than 2 MiB
    /// at 1M and 10M, as fast; 2 MiB peaked 10 MiB lower than 4 MiB).
    public var chunkSize = 1 << 20
    /// Findings, and cases, held in memory before sorted runs of them go to temporary files.
    public var spillBudget = 1 << 20
    /// Told the name of each phase as it ends (for `SICHA_TRACE`); never given record content.
    public var trace: (@Sendable (String) -> Void)?

    public init(parameters: RunParameters, model: RiskModel = .standard, gb18030: Bool = false, threads: Int = 1) {
        self.parameters = parameters
        self.model = model
        self.gb18030 = gb18030
        self.threads = max(1, threads)
    }

    /// Reads every file and joins them. Throws the first file that cannot be read.
    ///
    /// The registers of students, attendance and poverty are read first; then the hukou register,
    /// keeping in full only school-age people and people the student and roster registers name (the
    /// rest of the population only as keys, with the lines, names and regions of `normal` records,
    /// see `KeyLines`). Of those, the records whose key occurs twice among `normal` records join the
    /// others, so that their duplicates are reported. The findings and cases may still be being put
    /// in order when this returns: their lists wait for it when read.
    public func run(_ files: [InputFile]) throws(FileError) -> Verification {
        let reader = {
            var reader = RegisterReader(parameters: parameters, gb18030: gb18030, threads: threads)
            reader.chunkSize = chunkSize
            return reader
        }()
        var extracts = try reader.read(files.filter { $0.dataset != .hukou })
        trace?("read xueji, roster, poverty")
        // People the school registers name who are not of school age (school-age people are kept
        // anyway): a small set that adult hukou records are looked up in. Of adults that only the
        // poverty register names, nothing but whether they have a hukou record is needed of most:
        // their records wait on disk (see `PovertyAside`), and whether they have a hukou record is
        // found with the repeated keys.
        let scope = parameters.scopeBirthDates
        @Sendable func isAdult(_ key: UInt64) -> Bool { !scope.contains(IDNumber(key: key).birthDate.packed) }
        var adults: [UInt64] = []
        for e in extracts {
            for r in e.xueji where isAdult(r.key) { adults.append(r.key) }
            for r in e.roster where isAdult(r.key) { adults.append(r.key) }
        }
        var interesting = KeySet(adults)
        adults = []
        interesting.summarize()
        let hukouFiles = files.filter { $0.dataset == .hukou }
        // Set aside while the hukou register is read, given more than one thread (10M: 95 ms). The
        // registers of students and attendance are put in ID order meanwhile, where one file holds
        // each (the join then takes its records as they are, in order): sorted in the join, four
        // tables on two threads, they kept one thread waiting for the other.
        let setAside = Slots((aside: PovertyAside?.none, extracts: extracts)), asideDone = DispatchGroup()
        extracts = []
        let adultsOnlyInPoverty = { @Sendable [interesting] key in !hukouFiles.isEmpty && isAdult(key) && !interesting.contains(key) }
        @Sendable func putAside() {
            setAside.update { held in
                held.aside = PovertyAside(&held.extracts, where: adultsOnlyInPoverty)
                func sortAlone<R: KeyedRecord>(_ part: WritableKeyPath<FileExtract, [R]>) {
                    if let only = held.extracts.onlyHolder(of: part) { sortByKey(&held.extracts[only][keyPath: part]) }
                }
                sortAlone(\.xueji)
                sortAlone(\.roster)
            }
        }
        if threads > 1 { DispatchQueue.global().async(group: asideDone, execute: putAside) } else { putAside() }
        let read = Result { () throws(FileError) in try reader.read(hukouFiles, selection: .population(interesting: interesting, scope: scope)) }
        interesting = KeySet()
        asideDone.wait()
        var hukou = try read.get()
        var setAsideRecords: PovertyAside?
        setAside.update { setAsideRecords = $0.aside; swap(&extracts, &$0.extracts) }  // (leaves no second reference)
        let aside = setAsideRecords!
        trace?("read hukou")
        let absent: KeySet
        do throws(InputError) {
            // (The adults still in `extracts` are probed too: those the school registers name, for
            // whom the answer is not asked, and any that could not be set aside. Without a hukou
            // register the question is not asked at all.)
            let probe = hukouFiles.isEmpty ? [] : try aside.keys(after: extracts.flatMap { $0.poverty.lazy.map(\.key).filter(isAdult) })
            absent = try KeyLines.repeated(in: &hukou, absentOf: probe, threads: threads)
            try aside.restore(into: &extracts) { absent.contains($0) || aside.repeated.contains($0) }
        } catch {
            throw FileError(path: TemporaryFile.directory, error: error)
        }
        trace?("find duplicate keys")
        extracts += hukou
        hukou = []  // The join takes the records out of `extracts`: no second reference may keep them.
        extracts.sort { $0.file.index < $1.file.index }
        let result = join(&extracts, given: Set(files.map(\.dataset)), noHukou: absent)
        trace?("join")
        return result
    }

    /// 三比对: joins the extracts of all files by ID and ranks the cases, taking the records out of
    /// `extracts` so that they are not held twice. `noHukou` holds the adults that only the poverty
    /// register names who have no hukou record (see `PersonJoin.noHukou`).
    func join(_ extracts: inout [FileExtract], given: Set<Dataset>, noHukou: KeySet) -> Verification {
        // Code, file, line in one key: files (at most 4000, 12 bits) start at bit 44.
        let findings = SpillList<Finding>(budget: spillBudget, key: { UInt64($0.code.ordinal) << 56 | $0.location.packed },
                                          kinds: FindingCode.allCases.count, kind: { $0.code.ordinal })
        let cases = SpillList<Case>(budget: spillBudget, by: Case.ranksBefore, prefix: Case.rankPrefix, number: { $0.rank = $1 })
        var join = PersonJoin(parameters: parameters, model: model, given: given, extracts: &extracts, findings: findings, cases: cases)
        join.noHukou = noHukou
        for i in extracts.indices {
            // A roster row's region is its school's, known once the xueji register is read.
            for j in extracts[i].findings.indices where extracts[i].findings[j].dataset == .roster {
                extracts[i].findings[j].regionCode = join.schoolRegions[extracts[i].findings[j].schoolCode] ?? ""
            }
            findings.append(contentsOf: extracts[i].findings)
            extracts[i].findings = []
        }
        join.run(threads: threads, trace: trace)
        // The outputs that need neither the findings nor the cases (the ledgers, the rejects) can be
        // written while they are put in order.
        if threads > 1 {
            DispatchQueue.global().async {
                DispatchQueue.concurrentPerform(iterations: 2) { $0 == 0 ? findings.finish() : cases.finish() }
            }
        } else {
            findings.finish()
            cases.finish()
        }
        return Verification(
            parameters: parameters,
            files: extracts.map { FileStats(dataset: $0.file.dataset, path: $0.file.path, rowsRead: $0.rowsRead,
                                            rowsAccepted: $0.rowsAccepted, rowsRejected: $0.rowsRejected) },
            given: given, findings: findings,
            rejects: extracts.flatMap(\.rejects).sorted { $0.location < $1.location },
            cases: cases, children: join.children, model: model, arenas: join.arenas, schoolRegions: join.schoolRegions)
    }
}

/// An input file that cannot be read, with the reason in one line.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var error: InputError
    public var description: String { "\(path): \(error.message)" }
}

/// The four tables of the join, moved between sorting threads.
struct Tables {
    var hukou: [HukouRecord]
    var xueji: [XuejiRecord]
    var roster: [RosterRecord]
    var poverty: [PovertyRecord]
}

/// Walks the four registers sorted by ID, one person at a time.
struct PersonJoin {
    typealias Slice<R> = UnsafeBufferPointer<R>
    let parameters: RunParameters
    let model: RiskModel
    let arenas: [TextArena]
    let hasHukou: Bool, hasXueji: Bool, hasRoster: Bool, hasPoverty: Bool
    var hukou: [HukouRecord] = []
    var xueji: [XuejiRecord] = []
    var roster: [RosterRecord] = []
    var poverty: [PovertyRecord] = []
    var schoolRegions: [String: String] = [:]
    /// Where findings and cases go, a few thousand at a time.
    let findingList: SpillList<Finding>, caseList: SpillList<Case>
    var findings: [Finding] = []
    var cases: [Case] = []
    var children: [InScopeChild] = []
    /// The codes of the findings on the person being walked.
    var personCodes = FindingCodes()
    /// Of the adults that only the poverty register names, whose hukou records are kept as keys
    /// and so are not in `hukou`, those who have no hukou record.
    var noHukou = KeySet()

    /// Takes the records out of `extracts` (so that they are not held twice).
    init(parameters: RunParameters, model: RiskModel, given: Set<Dataset>, extracts: inout [FileExtract],
         findings: SpillList<Finding>, cases: SpillList<Case>) {
        self.parameters = parameters
        self.model = model
        (findingList, caseList) = (findings, cases)
        (hasHukou, hasXueji, hasRoster, hasPoverty) =
            (given.contains(.hukou), given.contains(.xueji), given.contains(.roster), given.contains(.poverty))
        arenas = extracts.map(\.arena)
        func gather<R>(_ part: WritableKeyPath<FileExtract, [R]>) -> [R] {
            if let only = extracts.onlyHolder(of: part) {
                // One file holds them all: take its array as it is.
                defer { extracts[only][keyPath: part] = [] }
                return extracts[only][keyPath: part]
            }
            var all: [R] = []
            all.reserveCapacity(extracts.reduce(0) { $0 + $1[keyPath: part].count })
            for i in extracts.indices {
                all += extracts[i][keyPath: part]
                extracts[i][keyPath: part] = []
            }
            return all
        }
        hukou = gather(\.hukou); xueji = gather(\.xueji); roster = gather(\.roster); poverty = gather(\.poverty)
        for e in extracts { schoolRegions.merge(e.schoolRegions) { first, _ in first } }
    }

    /// Sorts the four tables by ID and record order (each on its own thread when `threads` > 1), then walks them.
    mutating func run(threads: Int, trace: (@Sendable (String) -> Void)?) {
        let tables = Slots(Tables(hukou: hukou, xueji: xueji, roster: roster, poverty: poverty))
        (hukou, xueji, roster, poverty) = ([], [], [], [])
        // Takes one table out, sorts it outside the lock, puts it back.
        @Sendable func sort<R: KeyedRecord & SendableMetatype>(_ table: WritableKeyPath<Tables, [R]> & Sendable) {
            var t: [R] = []
            tables.update { swap(&t, &$0[keyPath: table]) }
            sortByKey(&t)
            tables.update { swap(&t, &$0[keyPath: table]) }
        }
        @Sendable func sort(_ i: Int) {
            switch i {
            case 0: sort(\Tables.hukou)
            case 1: sort(\Tables.xueji)
            case 2: sort(\Tables.roster)
            default: sort(\Tables.poverty)
            }
        }
        if threads > 1 {
            DispatchQueue.concurrentPerform(iterations: 4, execute: sort)
        } else {
            for i in 0..<4 { sort(i) }
        }
        tables.update {
            (hukou, xueji, roster, poverty) = ($0.hukou, $0.xueji, $0.roster, $0.poverty)
            $0 = Tables(hukou: [], xueji: [], roster: [], poverty: [])  // (no second reference is left)
        }
        trace?("sort the registers by ID")
        // The people are walked in parts of the ID range, several parts at once; the parts' results
        // are put together in ID order. As each part is done, the memory of its records is given
        // back: the children take the place of the records instead of coming on top of them.
        let counts = [hukou.count, xueji.count, roster.count, poverty.count], most = counts.max()!
        let partCount = most > 4096 ? max(8, threads * 4) : 1
        func quantiles<R: KeyedRecord>(_ t: [R]) -> [UInt64] { (1..<partCount).map { t[$0 * t.count / partCount].key } }
        let keys = switch counts.firstIndex(of: most)! {
        case 0: quantiles(hukou)
        case 1: quantiles(xueji)
        case 2: quantiles(roster)
        default: quantiles(poverty)
        }
        let bounds = Set(keys).sorted() + [UInt64.max]
        // Each part's records in each table (found before any part's memory is given back).
        func ranges<R: KeyedRecord>(_ table: [R]) -> [Range<Int>] {
            func first(_ key: UInt64) -> Int {
                var (lo, hi) = (0, table.count)
                while lo < hi { let mid = (lo + hi) / 2; if table[mid].key < key { lo = mid + 1 } else { hi = mid } }
                return lo
            }
            let starts = [0] + bounds.dropLast().map(first) + [table.count]
            return bounds.indices.map { starts[$0] ..< starts[$0 + 1] }
        }
        let (hukouParts, xuejiParts, rosterParts, povertyParts) = (ranges(hukou), ranges(xueji), ranges(roster), ranges(poverty))
        let parts = Slots([PersonJoin?](repeating: nil, count: bounds.count))
        let whole = self
        (hukou, xueji, roster, poverty) = ([], [], [], [])  // (read by the parts only, then given back)
        let walkPart: @Sendable (Int) -> Void = { n in
            var part = whole
            (part.hukou, part.xueji, part.roster, part.poverty) = ([], [], [], [])
            let (rh, rx, rr, rp) = (hukouParts[n], xuejiParts[n], rosterParts[n], povertyParts[n])
            // Room for a child per record: what is never used is never touched, so it takes no memory,
            // and the children are not copied as they grow (10M: walk about -80 ms, 23k fewer page faults).
            part.children.reserveCapacity(rh.count + rx.count + rr.count + rp.count)
            whole.hukou.withUnsafeBufferPointer { h in whole.xueji.withUnsafeBufferPointer { x in
                whole.roster.withUnsafeBufferPointer { r in whole.poverty.withUnsafeBufferPointer { p in
                    part.walk(Slice(rebasing: h[rh]), Slice(rebasing: x[rx]), Slice(rebasing: r[rr]), Slice(rebasing: p[rp]))
                    PersonJoin.giveBack(h, rh); PersonJoin.giveBack(x, rx); PersonJoin.giveBack(r, rr); PersonJoin.giveBack(p, rp)
                } }
            } }
            part.hand(over: 0)
            parts.update { $0[n] = part }
        }
        if threads > 1 {
            DispatchQueue.concurrentPerform(iterations: bounds.count, execute: walkPart)
        } else {
            for n in bounds.indices { walkPart(n) }
        }
        trace?("walk the people")
        // Each part is released as it is copied, so that the children (millions) are not held
        // twice; a single part's are taken as they are. The parts are copied on all threads.
        let found = parts.value.map { $0!.children.count }
        // Where each part's children go, and (last) how many there are in all.
        let starts = found.reduce(into: [0]) { $0.append($0.last! + $1) }
        @Sendable func take(_ n: Int) -> PersonJoin {
            var part: PersonJoin?
            parts.update { swap(&part, &$0[n]) }
            return part!
        }
        if bounds.count == 1 {
            children = take(0).children
        } else {
            let total = starts.last!
            children = [InScopeChild](unsafeUninitializedCapacity: total) { buffer, count in
                struct Place: @unchecked Sendable { let at: UnsafeMutablePointer<InScopeChild>? }
                let place = Place(at: buffer.baseAddress)
                let copy: @Sendable (Int) -> Void = { n in
                    take(n).children.withUnsafeBufferPointer { part in
                        if !part.isEmpty { (place.at! + starts[n]).initialize(from: part.baseAddress!, count: part.count) }
                    }
                }
                if threads > 1 { DispatchQueue.concurrentPerform(iterations: bounds.count, execute: copy) } else { bounds.indices.forEach(copy) }
                count = total
            }
        }
        trace?("put the parts together")
    }

    /// Gives the memory of `table[range]` back to the system, in whole pages (those it shares with
    /// the records around it are kept). Those records must never be read again: afterwards they read
    /// as zeros.
    private static func giveBack<R>(_ table: UnsafeBufferPointer<R>, _ range: Range<Int>) {
        guard let base = table.baseAddress, !range.isEmpty else { return }
        let page = Int(getpagesize())
        let start = (Int(bitPattern: base + range.lowerBound) + page - 1) / page * page
        let end = Int(bitPattern: base + range.upperBound) / page * page
        if end > start { madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, Int32(MADV_DONTNEED)) }
    }

    private mutating func walk(_ h: Slice<HukouRecord>, _ x: Slice<XuejiRecord>, _ r: Slice<RosterRecord>, _ p: Slice<PovertyRecord>) {
        var ih = 0, ix = 0, ir = 0, ip = 0
        func end<R: KeyedRecord>(_ table: Slice<R>, _ from: Int, _ key: UInt64) -> Int {
            var i = from
            while i < table.count && table[i].key == key { i += 1 }
            return i
        }
        func part<R>(_ table: Slice<R>, _ from: Int, _ to: Int) -> Slice<R> { Slice(rebasing: table[from..<to]) }
        while true {
            var key = UInt64.max
            if ih < h.count { key = min(key, h[ih].key) }
            if ix < x.count { key = min(key, x[ix].key) }
            if ir < r.count { key = min(key, r[ir].key) }
            if ip < p.count { key = min(key, p[ip].key) }
            if key == .max { break }
            let eh = end(h, ih, key), ex = end(x, ix, key), er = end(r, ir, key), ep = end(p, ip, key)
            person(IDNumber(key: key), part(h, ih, eh), part(x, ix, ex), part(r, ir, er), part(p, ip, ep))
            ih = eh; ix = ex; ir = er; ip = ep
        }
    }

    private func text(_ location: Location, _ ref: TextRef) -> String { arenas[location.file].string(ref) }

    private func same(_ a: Location, _ ra: TextRef, _ b: Location, _ rb: TextRef) -> Bool {
        arenas[a.file].equal(ra, arenas[b.file], rb)
    }

    // MARK: findings naming one record of each dataset

    /// Adds a finding on the person being walked.
    private mutating func record(_ finding: Finding) {
        findings.append(finding)
        personCodes.insert(finding.code)
        if findings.count >= 4096 { hand(over: 4096) }
    }

    /// Hands the findings and cases made so far to their lists once there are `limit` of either.
    mutating func hand(over limit: Int) {
        if findings.count >= limit {
            findingList.append(contentsOf: findings)
            findings.removeAll(keepingCapacity: true)
        }
        if cases.count >= limit {
            caseList.append(contentsOf: cases)
            cases.removeAll(keepingCapacity: true)
        }
    }

    private mutating func add(_ code: FindingCode, _ id: IDNumber, _ r: HukouRecord, _ detail: String) {
        record(Finding(code: code, dataset: .hukou, location: r.location, key: id.key, rawID: "", name: text(r.location, r.name),
                       regionCode: text(r.location, r.region), schoolCode: "", detail: detail))
    }

    private mutating func add(_ code: FindingCode, _ id: IDNumber, _ r: XuejiRecord, _ detail: String) {
        record(Finding(code: code, dataset: .xueji, location: r.location, key: id.key, rawID: "", name: text(r.location, r.name),
                       regionCode: text(r.location, r.region), schoolCode: text(r.location, r.school), detail: detail))
    }

    private mutating func add(_ code: FindingCode, _ id: IDNumber, _ r: RosterRecord, _ detail: String) {
        let school = text(r.location, r.school)
        record(Finding(code: code, dataset: .roster, location: r.location, key: id.key, rawID: "", name: text(r.location, r.name),
                       regionCode: schoolRegions[school] ?? "", schoolCode: school, detail: detail))
    }

    private mutating func add(_ code: FindingCode, _ id: IDNumber, _ r: PovertyRecord, _ detail: String) {
        record(Finding(code: code, dataset: .poverty, location: r.location, key: id.key, rawID: "", name: text(r.location, r.name),
                       regionCode: text(r.location, r.region), schoolCode: "", detail: detail))
    }

    // MARK: one person

    private mutating func person(_ id: IDNumber, _ h: Slice<HukouRecord>, _ x: Slice<XuejiRecord>,
                                 _ r: Slice<RosterRecord>, _ p: Slice<PovertyRecord>) {
        personCodes = FindingCodes()

        // DUPLICATE_ID: every record of an ID that occurs more than once in its register.
        let normalCount = h.reduce(0) { $0 + ($1.status == .normal ? 1 : 0) }
        if normalCount > 1 {
            let detail = "\(normalCount) hukou records with status normal"
            for rec in h where rec.status == .normal { add(.duplicateID, id, rec, detail) }
        }
        let activeCount = x.reduce(0) { $0 + ($1.status.isActive ? 1 : 0) }
        if activeCount > 1 {
            let detail = "\(activeCount) xueji records with an active status (一人多籍)"
            for rec in x where rec.status.isActive { add(.duplicateID, id, rec, detail) }
        }
        if r.count > 1 {
            let detail = "\(r.count) roster rows (一人多校)"
            for rec in r { add(.duplicateID, id, rec, detail) }
        }
        if p.count > 1 {
            let households = Set(p.map { text($0.location, $0.household) })
            if households.count > 1 {
                let detail = "in \(households.count) poverty households"
                for rec in p { add(.duplicateID, id, rec, detail) }
            }
        }

        // 三比对.
        let inScope = parameters.inScope(id)
        let accounted = x.contains { $0.status.isActive || ($0.status == .graduated && $0.grade == 9) }
        let dropped = x.first { $0.status == .droppedOut }
        let enrolled = x.first { $0.status == .enrolled }
        func lastStatus() -> String {
            x.last.map { "last xueji record: \($0.status.name), grade \($0.grade)" } ?? "no xueji record"
        }

        if hasHukou, hasXueji, inScope, !accounted, dropped == nil, normalCount > 0 {
            add(.hukouNoXueji, id, h[0], lastStatus())
        }
        if hasXueji, inScope, !accounted, let d = dropped {
            add(.xuejiDroppedOut, id, x[0], "dropped_out in grade \(d.grade)")
        }
        if hasXueji, hasHukou, let first = x.first {
            if activeCount > 0 && h.isEmpty {
                add(.xuejiNoHukou, id, first, "active xueji record, no hukou record")
            }
            if activeCount > 0, !h.isEmpty, h.allSatisfy({ $0.status == .deceased || $0.status == .cancelled }) {
                add(.xuejiHukouInactive, id, first, "hukou status \(h.last!.status.name) (空挂学籍)")
            }
            if let reference = h.first(where: { $0.status == .normal }), let detail = identityDifference(x, reference) {
                add(.identityMismatch, id, first, detail)
            }
        }
        if hasXueji, hasRoster {
            if let e = enrolled, r.isEmpty {
                add(.enrolledNotPresent, id, x[0], "enrolled at \(text(e.location, e.school)), on no roster")
            }
            if let first = r.first, activeCount == 0 {
                add(.presentNotEnrolled, id, first, "on the roster, no active xueji record (\(lastStatus()))")
            }
            if let first = r.first, enrolled != nil, !enrolledWhereCounted(x, r) {
                let schools = x.filter { $0.status == .enrolled }.map { text($0.location, $0.school) }
                let counted = Set(r.map { text($0.location, $0.school) }).sorted()
                add(.schoolMismatch, id, first, "enrolled at \(schools.joined(separator: "/")), counted at \(counted.joined(separator: "/"))")
            }
        }
        if hasPoverty, hasXueji, inScope, let first = p.first {
            if !accounted {
                add(.povertyChildNotInSchool, id, first, "not accounted for (\(lastStatus()))")
            } else if hasRoster, enrolled != nil, r.isEmpty {
                add(.povertyChildNotInSchool, id, first, "enrolled, on no roster")
            }
        }
        if hasPoverty, hasHukou, let first = p.first, h.isEmpty, inScope || !x.isEmpty || !r.isEmpty || noHukou.contains(id.key) {
            add(.povertyNoHukou, id, first, "no hukou record")
        }

        let chronic = r.contains { Checks.isChronic(expected: $0.daysExpected, absent: $0.daysAbsent, threshold: parameters.absenceThreshold) }
        let view = PersonView(h: h, x: x, r: r, p: p)
        var child = inScope ? InScopeChild(id: id, status: .unknown, grade: view.grade.map(UInt8.init), name: view.name, region: view.region,
                                           school: view.school) : nil
        if var entry = child, hasXueji {
            let codes = personCodes
            entry.status = codes.contains(.xuejiDroppedOut) ? .droppedOut
                : codes.contains(.hukouNoXueji) || codes.contains(.enrolledNotPresent) || codes.contains(.povertyChildNotInSchool) ? .suspectedDropout
                : activeCount > 0 ? .inSchool
                : accounted ? .completed : .notAccounted
            child = entry
        }
        if chronic || FindingCode.allCases.contains(where: { $0.makesCase && personCodes.contains($0) }) {
            var codes = personCodes
            if chronic { codes.insert(.chronicAbsence) }
            if h.contains(where: { Checks.birthMismatch(id, $0.stated) != nil }) || x.contains(where: { Checks.birthMismatch(id, $0.stated) != nil }) {
                codes.insert(.idBirthMismatch)
            }
            if h.contains(where: { Checks.sexMismatch(id, $0.stated) != nil }) || x.contains(where: { Checks.sexMismatch(id, $0.stated) != nil }) {
                codes.insert(.idSexMismatch)
            }
            let made = makeCase(id, codes: codes, view: view, h: h, x: x, r: r, p: p, accounted: accounted)
            child?.level = made.level
            child?.score = UInt8(made.score)
            cases.append(made)
            if cases.count >= 4096 { hand(over: 4096) }
        }
        if let child { children.append(child) }
    }

    /// Whether one of the `enrolled` records is at a school where the person has a roster row.
    private func enrolledWhereCounted(_ x: Slice<XuejiRecord>, _ r: Slice<RosterRecord>) -> Bool {
        if x.count * r.count <= 64 {
            return x.contains { e in e.status == .enrolled && r.contains { same(e.location, e.school, $0.location, $0.school) } }
        }
        let counted = Set(r.map { text($0.location, $0.school) })
        return x.contains { $0.status == .enrolled && counted.contains(text($0.location, $0.school)) }
    }

    /// How the xueji records' name, birth date or sex differ from the `normal` hukou record, or nil.
    private func identityDifference(_ x: Slice<XuejiRecord>, _ reference: HukouRecord) -> String? {
        let nameDiffers = x.first { !same($0.location, $0.name, reference.location, reference.name) }
        let birthDiffers = reference.stated.birth == 0 ? nil
            : x.first { $0.stated.birth != 0 && $0.stated.birth != reference.stated.birth }
        let sexDiffers = reference.stated.sex == 0 ? nil : x.first { $0.stated.sex != 0 && $0.stated.sex != reference.stated.sex }
        if nameDiffers == nil && birthDiffers == nil && sexDiffers == nil { return nil }
        var parts: [String] = []
        if let rec = nameDiffers { parts.append("name \(text(rec.location, rec.name))/\(text(reference.location, reference.name))") }
        if let rec = birthDiffers { parts.append("birth_date \(Checks.date(rec.stated.birth))/\(Checks.date(reference.stated.birth))") }
        if let rec = sexDiffers { parts.append("sex \(Sex(rawValue: rec.stated.sex)!.code)/\(Sex(rawValue: reference.stated.sex)!.code)") }
        return parts.joined(separator: "; ") + " (xueji/hukou)"
    }

    private func makeCase(_ id: IDNumber, codes: FindingCodes, view: PersonView, h: Slice<HukouRecord>, x: Slice<XuejiRecord>,
                          r: Slice<RosterRecord>, p: Slice<PovertyRecord>, accounted: Bool) -> Case {
        let age = parameters.age(id)
        var facts = RiskFacts()
        facts.codes = codes
        facts.category = p.map(\.category).min()
        facts.groups = p.reduce(SpecialGroups()) { $0.union($1.groups) }
        if let grade = view.grade {
            facts.overAge = age - (grade + 5) >= 2
            facts.upperJuniorGrade = grade >= 8
        }
        if let last = x.last { facts.primaryToJuniorGap = !accounted && last.status == .graduated && last.grade == 6 }
        facts.returnedBefore = x.contains { $0.returned }
        facts.absenceRate = r.map { $0.daysExpected > 0 ? Double($0.daysAbsent) / Double($0.daysExpected) : 0 }.max() ?? 0
        let reasons = model.reasons(facts)
        let score = model.score(reasons)
        let school = string(view.school)
        var region = string(view.region)
        if region.isEmpty { region = schoolRegions[school] ?? "" }
        return Case(level: model.level(score), score: score, id: id, name: string(view.name), age: age, regionCode: region,
                    schoolCode: school, grade: view.grade, povertyCategory: facts.category,
                    codeSet: codes, reasons: reasons)
    }

    private func string(_ t: RecordText) -> String { t.file < 0 ? "" : arenas[Int(t.file)].string(t.ref) }
}

/// Which of a person's records speak for them in the lists: the name of the `normal` hukou record
/// (else of another hukou record, or the first xueji, poverty or roster record), the region of the household (else of the
/// current school or the poverty household), the school and grade of the current xueji record
/// (the last active one, else the last) or of the roster.
struct PersonView {
    var name = RecordText.none, region = RecordText.none, school = RecordText.none
    var grade: Int?

    init(h: UnsafeBufferPointer<HukouRecord>, x: UnsafeBufferPointer<XuejiRecord>, r: UnsafeBufferPointer<RosterRecord>,
         p: UnsafeBufferPointer<PovertyRecord>) {
        func at(_ location: Location, _ ref: TextRef) -> RecordText { RecordText(file: Int32(location.file), ref: ref) }
        let normal = h.first { $0.status == .normal } ?? h.first
        let current = x.last { $0.status.isActive } ?? x.last
        if let n = normal { name = at(n.location, n.name) }
        else if let f = x.first { name = at(f.location, f.name) }
        else if let f = p.first { name = at(f.location, f.name) }
        else if let f = r.first { name = at(f.location, f.name) }
        if let n = normal { region = at(n.location, n.region) }
        else if let c = current { region = at(c.location, c.region) }
        else if let f = p.first { region = at(f.location, f.region) }
        if let c = current { school = at(c.location, c.school); grade = Int(c.grade) }
        else if let f = r.first { school = at(f.location, f.school); grade = Int(f.grade) }
    }
}
