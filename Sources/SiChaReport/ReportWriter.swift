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
    public init(excel: Bool = false, maskIDs: Bool = false, encoding: String = "utf-8") {
        self.excel = excel
        self.maskIDs = maskIDs
        self.encoding = encoding
    }
}

/// Writes `exceptions.csv`, `cases.csv`, `rejects.csv`, `summary.json` (contract section 5) and `report.html`.
public struct ReportWriter {
    public let options: ReportOptions

    public init(options: ReportOptions) { self.options = options }

    /// The outputs in the order they are committed.
    public static let fileNames = ["exceptions.csv", "cases.csv", "rejects.csv", "summary.json", "report.html"]

    /// Writes every output under a temporary name, then renames them all. On failure nothing
    /// is left under a real name that was not complete.
    public func write(_ run: Verification, to folder: String) throws(InputError) {
        let contents = [exceptions(run), cases(run), rejects(run), summary(run), report(run)]
        var files: [OutputFile] = []
        for (name, producer) in zip(Self.fileNames, contents) {
            let file = try OutputFile(path: folder + "/" + name)
            files.append(file)
            producer(file)
            try file.finish()
        }
        for file in files { try file.commit() }
    }

    /// `--mask-ids`: first 6 and last 4 characters with `*` between (all `*` when shorter than 11).
    public func display(_ id: String) -> String {
        options.maskIDs ? HTMLReport.mask(id) : id
    }

    private func csv(_ header: [String], _ rows: @escaping (OutputFile) -> Void) -> (OutputFile) -> Void {
        { file in
            if self.options.excel { file.write("\u{FEFF}") }
            file.write(csvRow(header))
            rows(file)
        }
    }

    func exceptions(_ run: Verification) -> (OutputFile) -> Void {
        csv(["code", "dataset", "id", "name", "region_code", "school_code", "file", "line", "detail"]) { file in
            for f in run.findings {
                file.write(csvRow([f.code.rawValue, f.dataset.name, display(f.id), f.name, f.regionCode, f.schoolCode,
                                   run.files[f.location.file].path, String(f.location.line), f.detail]))
            }
        }
    }

    func cases(_ run: Verification) -> (OutputFile) -> Void {
        csv(["rank", "level", "score", "id", "name", "sex", "birth_date", "age", "region_code", "school_code", "grade",
             "poverty_category", "codes", "reasons"]) { file in
            for c in run.cases {
                file.write(csvRow([String(c.rank), c.level.name, String(c.score), display(c.id.description), c.name,
                                   c.id.sex.code, c.id.birthDate.description, String(c.age), c.regionCode, c.schoolCode,
                                   c.grade.map(String.init) ?? "", c.povertyCategory?.name ?? "",
                                   c.codes.map(\.rawValue).joined(separator: ";"),
                                   c.reasons.map { "\($0.factor)+\($0.points)" }.joined(separator: ";")]))
            }
        }
    }

    func rejects(_ run: Verification) -> (OutputFile) -> Void {
        csv(["dataset", "file", "line", "reason", "raw"]) { file in
            for r in run.rejects {
                file.write(csvRow([r.dataset.name, run.files[r.location.file].path, String(r.location.line), r.reason, r.raw]))
            }
        }
    }

    func summary(_ run: Verification) -> (OutputFile) -> Void {
        { file in file.write(Self.summaryJSON(run, options: self.options)) }
    }

    func report(_ run: Verification) -> (OutputFile) -> Void {
        { file in file.write(HTMLReport.html(run)) }
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
        out += "\"findings\": \(run.findings.count), \"cases\": \(run.cases.count)},\n"
        out += "  \"datasets\": [\(Dataset.allCases.filter(run.given.contains).map { "\"\($0.name)\"" }.joined(separator: ", "))],\n"
        let comparisons = FindingCode.allCases.filter { !$0.needs.isEmpty }.sorted()
        out += "  \"comparisons_ran\": [\(comparisons.filter(run.ran).map { "\"\($0.rawValue)\"" }.joined(separator: ", "))],\n"
        out += "  \"comparisons_skipped\": [\(comparisons.filter { !run.ran($0) }.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))],\n"
        var byCode: [FindingCode: [String: Int]] = [:]
        for f in run.findings { byCode[f.code, default: [:]][county(f.regionCode), default: 0] += 1 }
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

    /// The county of a region code: its first six digits, or `unknown`.
    static func county(_ region: String) -> String {
        let digits = region.utf8.prefix(6)
        return digits.count == 6 && digits.allSatisfy({ $0 &- 0x30 < 10 }) ? String(decoding: digits, as: UTF8.self) : "unknown"
    }
}
