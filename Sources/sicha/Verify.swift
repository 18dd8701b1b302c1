import ArgumentParser
import SiChaCore
import SiChaIO
import SiChaReport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Sicha {
    /// `sicha verify`: reads the registers, runs 四查三比对 and writes the outputs.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run 四查三比对 over the registers and write exceptions.csv, cases.csv, rejects.csv, summary.json and report.html.")

        @Option(name: .customLong("hukou"), help: "户籍 household register file (.csv, .csv.zst or -); repeatable.")
        var hukou: [String] = []
        @Option(name: .customLong("xueji"), help: "学籍 student register file; repeatable.")
        var xueji: [String] = []
        @Option(name: .customLong("roster"), help: "在校生 roster with attendance; repeatable.")
        var roster: [String] = []
        @Option(name: .customLong("poverty"), help: "建档立卡/防返贫监测 poverty register file; repeatable.")
        var poverty: [String] = []
        @Option(help: "Output folder (created when missing).")
        var out: String
        @Option(name: .customLong("as-of"), help: "Date the registers were extracted, YYYY-MM-DD (default: today).")
        var asOf: String?
        @Option(name: .customLong("school-year"), help: "School year Y, starting 1 September of Y.")
        var schoolYear: Int?
        @Option(name: .customLong("min-age"), help: "Youngest age in scope on 31 August.")
        var minAge = 6
        @Option(name: .customLong("max-age"), help: "Oldest age in scope on 31 August.")
        var maxAge = 15
        @Option(name: .customLong("absence-threshold"), help: "Share of days absent that is chronic absence.")
        var absenceThreshold = 0.2
        @Option(help: "Worker threads (default: the number of cores); never changes the output.")
        var threads: Int?
        @Option(help: "Input encoding: utf-8 or gb18030.")
        var encoding = "utf-8"
        @Flag(help: "Start CSV outputs with a byte-order mark for spreadsheet programs.")
        var excel = false
        @Flag(name: .customLong("mask-ids"), help: "Write IDs as the first 6 and last 4 characters.")
        var maskIDs = false
        @Option(name: .customLong("fail-on"), help: "Exit 1 when any case is at this level or more urgent: red, orange, yellow, blue, green.")
        var failOn: String?
        @Flag(help: "No progress line on standard error (it is shown only when standard error is a terminal).")
        var quiet = false

        func validate() throws {
            if hukou.isEmpty && xueji.isEmpty && roster.isEmpty && poverty.isEmpty {
                throw ValidationError("give at least one register: --hukou, --xueji, --roster or --poverty")
            }
            if let asOf, parseDate(asOf) == nil { throw ValidationError("--as-of \(asOf) is not a date YYYY-MM-DD") }
            if let schoolYear, !(1900...9999).contains(schoolYear) { throw ValidationError("--school-year \(schoolYear) is out of range") }
            if minAge < 0 || maxAge < minAge { throw ValidationError("--min-age and --max-age must satisfy 0 <= min <= max") }
            if !(absenceThreshold > 0 && absenceThreshold <= 1) { throw ValidationError("--absence-threshold must be above 0 and at most 1") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            if !["utf-8", "utf8", "gb18030"].contains(encoding.lowercased()) { throw ValidationError("--encoding must be utf-8 or gb18030") }
            if let failOn, RiskLevel(name: failOn) == nil { throw ValidationError("--fail-on must be red, orange, yellow, blue or green") }
            if [hukou, xueji, roster, poverty].joined().filter({ $0 == "-" }).count > 1 {
                throw ValidationError("standard input (-) can be given once only")
            }
        }

        func run() throws {
            let parameters = RunParameters(asOf: asOf.flatMap(parseDate) ?? today(), schoolYear: schoolYear,
                                           minAge: minAge, maxAge: maxAge, absenceThreshold: absenceThreshold)
            var files: [InputFile] = []
            for (dataset, paths) in zip(Dataset.allCases, [hukou, xueji, roster, poverty]) {
                for path in paths { files.append(InputFile(dataset: dataset, path: path, index: files.count)) }
            }
            let gb18030 = encoding.lowercased() == "gb18030"
            let verifier = Verifier(parameters: parameters, gb18030: gb18030,
                                    threads: threads ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
            let progress = quiet ? nil : ProgressLine.start(paths: files.map(\.path))
            func fail(_ message: String) -> Never {
                progress?.stop()
                Self.fail(message)
            }
            let result: Verification
            do { result = try verifier.run(files) } catch { fail(error.description) }

            if mkdir(out, 0o755) != 0 && errno != EEXIST { fail("\(out): cannot create the output folder: \(String(cString: strerror(errno)))") }
            let options = ReportOptions(excel: excel, maskIDs: maskIDs, encoding: gb18030 ? "gb18030" : "utf-8")
            do { try ReportWriter(options: options).write(result, to: out) } catch { fail(error.description) }
            progress?.stop()

            print(ScreenSummary.text(result, folder: out))
            if let failOn, let level = RiskLevel(name: failOn), result.cases.contains(where: { $0.level <= level }) {
                throw ExitCode(1)
            }
        }
    }
}

/// `YYYY-MM-DD` only.
func parseDate(_ text: String) -> CivilDate? {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
          let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
    return CivilDate(year: y, month: m, day: d)
}

/// The local calendar date of the run.
func today() -> CivilDate {
    var now = time(nil)
    var parts = tm()
    localtime_r(&now, &parts)
    return CivilDate(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday))!
}
