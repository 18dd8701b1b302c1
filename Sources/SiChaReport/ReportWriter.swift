import Dispatch
import SiChaCore
import SiChaIO

/// The version written into every summary.
public let engineVersion = "0.1.0"

/// How the outputs are written.
public struct ReportOptions: Sendable {
    /// Start CSV files with a byte-order mark, for spreadsheet programs.
    public var excel = false
    /// Write IDs as the first 6 and last 4 characters with `*` between.
    public var maskIDs = false
    public var encoding = "utf-8"
    /// Also write each unit's own `cases.csv` and `exceptions.csv` under `by-<unit>/<code>/`.
    public var splitBy: SplitUnit?
    /// How many files are written at once.
    public var threads = 1
    public init(excel: Bool = false, maskIDs: Bool = false, encoding: String = "utf-8", splitBy: SplitUnit? = nil, threads: Int = 1) {
        self.excel = excel
        self.maskIDs = maskIDs
        self.encoding = encoding
        self.splitBy = splitBy
        self.threads = max(1, threads)
    }
}

extension Verification {
    /// How many findings of each code there are in each county (`SplitUnit.county`), for the summary
    /// and the report: counted by numbers, the counties made text once each.
    func findingsPerCounty() -> [FindingCode: [String: Int]] {
        var counts: [Int: Int] = [:]  // code << 32 | county (or 1 << 31 for unknown): findings
        for f in findings { counts[f.code.ordinal << 32 | (SplitUnit.number(f.regionCode, digits: 6) ?? 1 << 31), default: 0] += 1 }
        var byCode: [FindingCode: [String: Int]] = [:]
        for (key, n) in counts {
            let county = key & (1 << 32 - 1)
            byCode[FindingCode.byOrdinal[key >> 32], default: [:]][SplitUnit.name(county == 1 << 31 ? nil : county, digits: 6)] = n
        }
        return byCode
    }
}

/// The office a list can be split for: a county (first 6 digits of the region code), a township
/// (first 9 digits) or a school.
public enum SplitUnit: String, CaseIterable, Sendable {
    case county, township, school

    /// The unit of a row with this region and school code; `unknown` when the code cannot say.
    public func unit(region: String, school: String) -> String {
        switch self {
        case .county: return Self.prefix(region, 6)
        case .township: return Self.prefix(region, 9)
        case .school: return school.isEmpty || school.contains("/") || school.hasPrefix(".") ? "unknown" : school
        }
    }

    /// The first `n` characters of a region code as a number, when they are all digits.
    static func number(_ region: String, digits n: Int) -> Int? {
        var value = 0, digits = 0
        for byte in region.utf8.prefix(n) {
            guard byte &- 0x30 < 10 else { return nil }
            value = value &* 10 &+ Int(byte &- 0x30)
            digits += 1
        }
        return digits == n ? value : nil
    }

    /// The unit that a number of `n` digits (zeros in front) names, or `unknown` without one.
    static func name(_ number: Int?, digits n: Int) -> String {
        guard let number else { return "unknown" }
        let text = String(number)
        return String(repeating: "0", count: n - text.count) + text
    }

    static func prefix(_ region: String, _ n: Int) -> String { name(number(region, digits: n), digits: n) }
}

/// Writes the outputs of a run (contract section 5 and the lists each office acts on).
public struct ReportWriter: Sendable {
    public let options: ReportOptions

    public init(options: ReportOptions) { self.options = options }

    /// Writes every output under a temporary name, then renames them all. On failure nothing
    /// is left under a real name that was not complete.
    public func write(_ run: Verification, to folder: String) throws(InputError) {
        // The files that need neither findings nor cases come first: those may still be completing.
        var outputs: [(String, @Sendable (OutputFile) -> Void)] = [
            ("ledger_in_scope.csv", { self.ledger(run, $0) { _ in true } }),
            ("ledger_suspected.csv", { self.ledger(run, $0) { $0.status == .suspectedDropout } }),
            ("ledger_dropped_out.csv", { self.ledger(run, $0) { $0.status == .droppedOut } }),
            ("rejects.csv", { self.rejects(run, $0) }),
            ("exceptions.csv", { self.exceptions(run.findings, run, $0) }),
            ("cases.csv", { self.cases(run.cases, run.model, $0) }),
            ("data_issues.csv", { self.dataIssues(run, $0) }),
            ("summary.json", { $0.write(Self.summaryJSON(run, options: self.options)) }),
            ("report.html", { $0.write(HTMLReport.html(run)) }),
        ]
        if let split = options.splitBy {
            let findings = Dictionary(grouping: run.findings) { split.unit(region: $0.regionCode, school: $0.schoolCode) }
            let cases = Dictionary(grouping: run.cases) { split.unit(region: $0.regionCode, school: $0.schoolCode) }
            try makeFolders(folder + "/by-\(split.rawValue)")
            for unit in Set(findings.keys).union(cases.keys).sorted() {
                let path = "by-\(split.rawValue)/\(unit)"
                try makeFolders(folder + "/" + path)
                outputs.append((path + "/exceptions.csv", { self.exceptions(findings[unit] ?? [], run, $0) }))
                outputs.append((path + "/cases.csv", { self.cases(cases[unit] ?? [], run.model, $0) }))
            }
        }
        // Each file is written by one worker; all are renamed only when every one is complete.
        let jobs = outputs
        let written = Slots<[Result<OutputFile, InputError>?]>(Array(repeating: nil, count: jobs.count))
        let next = Slots(0)
        DispatchQueue.concurrentPerform(iterations: min(options.threads, jobs.count)) { _ in
            while true {
                var i = 0
                next.update { i = $0; $0 += 1 }
                guard i < jobs.count else { return }
                let (name, produce) = jobs[i]
                let result = Result { () throws(InputError) -> OutputFile in
                    let file = try OutputFile(path: folder + "/" + name)
                    produce(file)
                    file.finish()
                    return file
                }
                written.update { $0[i] = result }
            }
        }
        var files = written.value.map { $0!.flatMap { file in Result { () throws(InputError) in try file.closed(); return file } } }
        if run.findings.unreadable || run.cases.unreadable {
            files.append(.failure(InputError("cannot read back a temporary file (in $TMPDIR, else /tmp)")))
        }
        for case .failure(let error) in files {
            for case .success(let file) in files { file.discard() }
            throw error
        }
        for case .success(let file) in files { try file.commit() }
    }


    /// An ID number as a field, masked with `--mask-ids`.
    func field(_ row: inout OutputFile.Cursor, _ id: IDNumber) {
        if options.maskIDs {
            var masked = display(id.description)
            return masked.withUTF8 { row.text(UnsafeRawBufferPointer($0)) }
        }
        id.withASCII { row.raw(UnsafeRawBufferPointer($0)) }
    }

    /// The same as the next field of `file` (at most 18 characters, quoted).
    func field(_ file: OutputFile, _ id: IDNumber) { file.field(atMost: 40) { field(&$0, id) } }

    /// A date as a `YYYY-MM-DD` field.
    func field(_ row: inout OutputFile.Cursor, _ date: CivilDate) { date.withASCII { row.raw(UnsafeRawBufferPointer($0)) } }

    func field(_ file: OutputFile, _ date: CivilDate) { file.field(atMost: 11) { field(&$0, date) } }

    /// `--mask-ids`: first 6 and last 4 characters with `*` between (all `*` when shorter than 11).
    public func display(_ id: String) -> String {
        options.maskIDs ? HTMLReport.mask(id) : id
    }

    private func header(_ file: OutputFile, _ columns: [String]) {
        if options.excel { file.write("\u{FEFF}") }
        file.writeRow(columns)
    }

    func exceptions(_ findings: some Sequence<Finding>, _ run: Verification, _ file: OutputFile) {
        header(file, ["code", "dataset", "id", "name", "region_code", "school_code", "file", "line", "detail"])
        for f in findings {
            file.field(f.code.rawValue)
            finding(f, run, file)
        }
    }

    /// The columns of a finding from `dataset` on, and the end of its row.
    private func finding(_ f: Finding, _ run: Verification, _ file: OutputFile) {
        file.field(f.dataset.name)
        if f.key != 0 { field(file, IDNumber(key: f.key)) } else { file.field(display(f.rawID)) }
        file.field(f.name)
        file.field(f.regionCode)
        file.field(f.schoolCode)
        file.field(run.files[f.location.file].path)
        file.field(f.location.line)
        file.field(f.detail)
        file.endRow()
    }

    /// A case's codes and reasons, which few sets of recur on many rows.
    private struct Explained: Hashable { let codes: FindingCodes, reasons: RiskReasons }

    func cases(_ cases: some Sequence<Case>, _ model: RiskModel, _ file: OutputFile) {
        header(file, ["rank", "level", "score", "id", "name", "sex", "birth_date", "age", "region_code", "school_code", "grade",
                      "poverty_category", "codes", "reasons"])
        // The codes and reasons as text, made once for each set of them.
        var texts: [Explained: (codes: String, reasons: String)] = [:]
        for c in cases {
            let explained = Explained(codes: c.codeSet, reasons: c.reasons)
            let text = texts[explained] ?? {
                let made = (c.codes.map(\.rawValue).joined(separator: ";"),
                            model.list(c.reasons).map { "\($0.factor)\($0.points < 0 ? "" : "+")\($0.points)" }.joined(separator: ";"))
                texts[explained] = made
                return made
            }()
            file.field(c.rank)
            file.field(c.level.name)
            file.field(c.score)
            field(file, c.id)
            file.field(c.name)
            file.field(c.id.sex.code)
            field(file, c.id.birthDate)
            file.field(c.age)
            file.field(c.regionCode)
            file.field(c.schoolCode)
            if let grade = c.grade { file.field(grade) } else { file.field("") }
            file.field(c.povertyCategory?.name ?? "")
            file.field(text.codes)
            file.field(text.reasons)
            file.endRow()
        }
    }

    func rejects(_ run: Verification, _ file: OutputFile) {
        header(file, ["dataset", "file", "line", "reason", "raw"])
        for r in run.rejects {
            file.writeRow([r.dataset.name, run.files[r.location.file].path, String(r.location.line), r.reason, r.raw])
        }
    }

    /// The data-fix side, most basic first: 1 ID errors and identity mismatches, 2 duplicates,
    /// 3 gaps between registers that are not out-of-school cases; then by code, file, line.
    static func dataIssuePriority(_ code: FindingCode) -> Int? {
        switch code {
        case .idInvalid, .idBirthMismatch, .idSexMismatch, .identityMismatch: return 1
        case .duplicateID: return 2
        case .xuejiNoHukou, .xuejiHukouInactive, .presentNotEnrolled, .schoolMismatch, .povertyNoHukou: return 3
        case .hukouNoXueji, .xuejiDroppedOut, .enrolledNotPresent, .povertyChildNotInSchool, .chronicAbsence: return nil
        }
    }

    func dataIssues(_ run: Verification, _ file: OutputFile) {
        header(file, ["rank", "priority", "code", "dataset", "id", "name", "region_code", "school_code", "file", "line", "detail"])
        var rank = 0
        // (A priority with no findings is not looked for: the findings may be in files.)
        for priority in 1...3 where FindingCode.allCases.contains(where: { Self.dataIssuePriority($0) == priority && run.count($0) > 0 }) {
            for f in run.findings where Self.dataIssuePriority(f.code) == priority {
                rank += 1
                file.field(rank)
                file.field(priority)
                file.field(f.code.rawValue)
                finding(f, run, file)
            }
        }
    }

    /// A ledger of the 2024 notice: children ordered by region code, then ID.
    /// The children of `run` that `include` takes, by region code, then ID. Only their positions
    /// are held (4 bytes a child), not copies of them.
    func ledger(_ run: Verification, _ file: OutputFile, where include: (InScopeChild) -> Bool) {
        header(file, ["id", "name", "sex", "birth_date", "age", "region_code", "school_code", "grade", "status", "level", "score"])
        let children = run.children
        // The children come in ID order, so ordering them stably by region code gives region, then ID.
        // A region's code is made a string once for each text it comes from, not once a child.
        var regionNumber: [String: Int32] = [:], numberOfSource = RegionSourceNumbers()
        var regions: [String] = []
        func number(_ child: InScopeChild) -> Int32 {
            numberOfSource.number(of: child.regionSource) {
                let code = run.regionCode(child)
                let n = regionNumber[code] ?? Int32(regions.count)
                if n == regions.count {
                    regionNumber[code] = n
                    regions.append(code)
                }
                return n
            }
        }
        var chosen: [Int32] = [], region: [Int32] = []
        for i in children.indices where include(children[i]) {
            chosen.append(Int32(i))
            region.append(number(children[i]))
        }
        // The texts rows repeat, in their CSV form made once, end to end.
        var forms: [UInt8] = [], form: [Range<Int>] = []
        for text in regions + ChildStatus.allCases.map(\.name) + RiskLevel.allCases.map(\.name) + [Sex.male.code, Sex.female.code, ""] {
            let csv = OutputFile.csv(text)
            form.append(forms.count ..< forms.count + csv.count)
            forms += csv
        }
        let codes = 0, statuses = regions.count, levels = statuses + ChildStatus.allCases.count
        let male = levels + RiskLevel.allCases.count, female = male + 1, none = male + 2
        var rank = [Int](repeating: 0, count: regions.count)
        let bytes = regions.map { Array($0.utf8) }
        for (r, n) in bytes.indices.sorted(by: { bytes[$0].lexicographicallyPrecedes(bytes[$1]) }).enumerated() { rank[n] = r }
        var next = [Int](repeating: 0, count: regions.count + 1)
        for n in region { next[rank[Int(n)] + 1] += 1 }
        for r in regions.indices { next[r + 1] += next[r] }
        // The positions and regions in output order, so that the rows read them in sequence.
        var sortedAt = [Int32](repeating: 0, count: chosen.count), sortedRegion = sortedAt
        for (k, n) in region.enumerated() {
            sortedAt[next[rank[Int(n)]]] = chosen[k]
            sortedRegion[next[rank[Int(n)]]] = n
            next[rank[Int(n)]] += 1
        }
        let at = sortedAt, regionOf = sortedRegion
        let constants = forms, places = form
        run.withTexts { texts in rows(at.count, to: file) { block, file in constants.withUnsafeBytes { constants in
            func text(_ n: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: constants[places[n]]) }
            // The block's children are gathered in one loop, so that their loads from memory overlap.
            let gathered = block.map { children[Int(at[$0])] }
            for (k, c) in zip(block, gathered) {
                let code = text(codes + Int(regionOf[k])), status = text(statuses + Int(c.status.rawValue))
                let level = text(c.level.map { levels + $0.rawValue } ?? none)
                texts.with(c.name) { name in texts.with(c.school) { school in
                    // (Three numbers of at most 20 bytes, an ID of 18, a date of 10, a sex of 1, 10 commas and the line end.)
                    file.row(atMost: 128 + 2 * (name.count + school.count) + code.count + status.count + level.count) { row in
                        field(&row, c.id)
                        row.text(name)
                        row.raw(text(c.id.sex == .male ? male : female))
                        field(&row, c.id.birthDate)
                        row.number(run.parameters.age(c.id))
                        row.raw(code)
                        row.text(school)
                        row.number(c.grade.map(Int.init))
                        row.raw(status)
                        row.raw(level)
                        row.number(c.score.map(Int.init))
                    }
                } }
            }
        } } }
    }

    /// Writes rows `0 ..< count` to `file` in order, `rows` formatting a block of them: blocks are
    /// formatted on up to `options.threads` threads at once, so that only those blocks are held. (Not
    /// `concurrentPerform`: nested in the one that writes the files, it would run serially.)
    func rows(_ count: Int, to file: OutputFile, _ rows: @escaping @Sendable (Range<Int>, OutputFile) -> Void) {
        let block = 1 << 14, threads = max(1, options.threads)
        // The blocks' memory is used again for the next blocks (new memory costs a page fault every 4 KiB).
        let parts = (0..<threads).map { _ in OutputFile() }
        for first in stride(from: 0, to: count, by: block * threads) {
            @Sendable func format(_ t: Int) {
                let from = min(first + t * block, count)
                rows(from ..< min(from + block, count), parts[t])
            }
            // A block is formatted by whichever thread takes it first: when the other threads are
            // busy (with the other files), this one does not wait for them to start its blocks.
            let taken = Slots([Bool](repeating: false, count: threads)), done = DispatchSemaphore(value: 0)
            @Sendable func take(_ t: Int) -> Bool {
                var mine = false
                taken.update { mine = !$0[t]; $0[t] = true }
                return mine
            }
            for t in 1..<threads { DispatchQueue.global().async { if take(t) { format(t); done.signal() } } }
            format(0)
            let byOthers = (1..<threads).filter { t in
                guard take(t) else { return true }
                format(t)
                return false
            }
            for _ in byOthers { done.wait() }
            for part in parts {
                file.append(part)
                part.clear()
            }
        }
    }

    /// `summary.json`: accounting per file, findings per code and county, comparisons, parameters.
    public static func summaryJSON(_ run: Verification, options: ReportOptions) -> String {
        let p = run.parameters
        var out = "{\n"
        out += "  \"engine\": {\"name\": \"sicha\", \"version\": \(jsonString(engineVersion))},\n"
        out += "  \"parameters\": {\"as_of\": \"\(p.asOf)\", \"school_year\": \(p.schoolYear), \"min_age\": \(p.minAge), "
        out += "\"max_age\": \(p.maxAge), \"absence_threshold\": \(p.absenceThreshold), \"encoding\": \(jsonString(options.encoding)), "
        out += "\"mask_ids\": \(options.maskIDs)},\n"
        out += "  \"files\": [\n"
        out += run.files.map { f in
            "    {\"dataset\": \"\(f.dataset.name)\", \"file\": \(jsonString(f.path)), \"rows_read\": \(f.rowsRead), "
                + "\"rows_accepted\": \(f.rowsAccepted), \"rows_rejected\": \(f.rowsRejected)}"
        }.joined(separator: ",\n")
        out += run.files.isEmpty ? "  ],\n" : "\n  ],\n"
        let read = run.files.reduce(0) { $0 + $1.rowsRead }, rejected = run.files.reduce(0) { $0 + $1.rowsRejected }
        out += "  \"totals\": {\"rows_read\": \(read), \"rows_accepted\": \(read - rejected), \"rows_rejected\": \(rejected), "
        out += "\"findings\": \(run.findings.count), \"cases\": \(run.cases.count), \"children_in_scope\": \(run.children.count)},\n"
        out += "  \"datasets\": [\(Dataset.allCases.filter(run.given.contains).map { "\"\($0.name)\"" }.joined(separator: ", "))],\n"
        let comparisons = FindingCode.allCases.filter { !$0.needs.isEmpty }.sorted()
        out += "  \"comparisons_ran\": [\(comparisons.filter(run.ran).map { "\"\($0.rawValue)\"" }.joined(separator: ", "))],\n"
        out += "  \"comparisons_skipped\": [\(comparisons.filter { !run.ran($0) }.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))],\n"
        let byCode = run.findingsPerCounty()
        out += "  \"findings\": {\n"
        out += FindingCode.allCases.sorted().map { code in
            let counties = byCode[code] ?? [:]
            let total = counties.values.reduce(0, +)
            let list = counties.keys.sorted().map { "\(jsonString($0)): \(counties[$0]!)" }.joined(separator: ", ")
            return "    \"\(code.rawValue)\": {\"total\": \(total), \"by_county\": {\(list)}}"
        }.joined(separator: ",\n")
        out += "\n  },\n"
        var levels = [Int](repeating: 0, count: RiskLevel.allCases.count)
        for c in run.cases { levels[c.level.rawValue] += 1 }
        out += "  \"cases\": {\"total\": \(run.cases.count), \"by_level\": {"
        out += RiskLevel.allCases.map { "\"\($0.name)\": \(levels[$0.rawValue])" }.joined(separator: ", ")
        out += "}}\n}\n"
        return out
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
