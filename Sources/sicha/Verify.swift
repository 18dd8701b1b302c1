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
        @Option(help: "Risk weights and level thresholds (JSON; see `sicha config --print-defaults`).")
        var config: String?
        @Option(name: .customLong("split-by"), help: "Also write each unit's lists under by-<unit>/: county, township or school.")
        var splitBy: String?
        @Option(name: .customLong("fail-on"), help: "Exit 1 when any case is at this level or more urgent: red, orange, yellow, blue, green.")
        var failOn: String?
        @Flag(help: "No progress line on standard error (it is shown only when standard error is a terminal).")
        var quiet = false

        func validate() throws {
            if hukou.isEmpty && xueji.isEmpty && roster.isEmpty && poverty.isEmpty {
                throw ValidationError("give at least one register: --hukou, --xueji, --roster or --poverty")
            }
            if let asOf {
                guard let date = parseDate(asOf) else { throw ValidationError("--as-of \(asOf) is not a date YYYY-MM-DD") }
                if date.year > KeyLines.lastYear {
                    throw ValidationError("--as-of \(asOf) is after \(KeyLines.lastYear), the last year of birth sicha can hold")
                }
            }
            if let schoolYear, !(1900...9999).contains(schoolYear) { throw ValidationError("--school-year \(schoolYear) is out of range") }
            if minAge < 0 || maxAge < minAge { throw ValidationError("--min-age and --max-age must satisfy 0 <= min <= max") }
            if !(absenceThreshold > 0 && absenceThreshold <= 1) { throw ValidationError("--absence-threshold must be above 0 and at most 1") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            if !["utf-8", "utf8", "gb18030"].contains(encoding.lowercased()) { throw ValidationError("--encoding must be utf-8 or gb18030") }
            if let failOn, RiskLevel(name: failOn) == nil { throw ValidationError("--fail-on must be red, orange, yellow, blue or green") }
            if let splitBy, SplitUnit(rawValue: splitBy) == nil { throw ValidationError("--split-by must be county, township or school") }
            if [hukou, xueji, roster, poverty].joined().filter({ $0 == "-" }).count > 1 {
                throw ValidationError("standard input (-) can be given once only")
            }
            if [hukou, xueji, roster, poverty].joined().count > 4000 { throw ValidationError("give at most 4000 register files") }
        }

        func run() throws {
            let parameters = RunParameters(asOf: asOf.flatMap(parseDate) ?? today(), schoolYear: schoolYear,
                                           minAge: minAge, maxAge: maxAge, absenceThreshold: absenceThreshold)
            var files: [InputFile] = []
            for (dataset, paths) in zip(Dataset.allCases, [hukou, xueji, roster, poverty]) {
                for path in paths { files.append(InputFile(dataset: dataset, path: path, index: files.count)) }
            }
            let gb18030 = encoding.lowercased() == "gb18030"
            var model = RiskModel.standard
            if let config {
                do { model = try RiskConfig.load(path: config) } catch { Self.fail("\(config): \(error.message)") }
            }
            var verifier = Verifier(parameters: parameters, model: model, gb18030: gb18030,
                                    threads: threads ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
            let trace = Trace()
            if getenv("SICHA_TRACE") != nil { verifier.trace = { trace.mark($0) } }
            let progress = quiet ? nil : ProgressLine.start(paths: files.map(\.path))
            func fail(_ message: String) -> Never {
                progress?.stop()
                Self.fail(message)
            }
            // The output folder is checked before the inputs are read, not after a long run.
            do { try makeFolders(out) } catch { fail("cannot create the output folder: \(error.message)") }
            let result: Verification
            do { result = try verifier.run(files) } catch { fail(error.description) }
            let options = ReportOptions(excel: excel, maskIDs: maskIDs, encoding: gb18030 ? "gb18030" : "utf-8",
                                        splitBy: splitBy.flatMap(SplitUnit.init(rawValue:)), threads: verifier.threads)
            do { try ReportWriter(options: options).write(result, to: out) } catch { fail(error.description) }
            progress?.stop()
            if verifier.trace != nil { trace.mark("write outputs") }

            print(ScreenSummary.text(result, folder: out))
            let failed = failOn.flatMap(RiskLevel.init(name:)).map { level in result.cases.contains { $0.level <= level } } ?? false
            // The run's memory goes back with the process rather than freed piece by piece (10M:
            // some 30 ms of releasing the findings' and cases' strings).
            fflush(nil)
            Glibc.exit(failed ? 1 : 0)
        }
    }
}

extension Sicha {
    /// `sicha config`: the risk model's settings.
    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the risk weights and level thresholds that --config can change.")

        @Flag(name: .customLong("print-defaults"), help: "Print the built-in defaults as a config file.")
        var printDefaults = false

        func validate() throws {
            if !printDefaults { throw ValidationError("say what to do: --print-defaults") }
        }

        func run() { print(RiskConfig.defaultsJSON(), terminator: "") }
    }
}

/// Phase timings on standard error, for `SICHA_TRACE=1`: phase names, wall and processor times, memory.
final class Trace: @unchecked Sendable {
    private var last = Trace.now()
    private var (lastCPU, lastFaults) = Trace.cpu()
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
    /// Processor time used so far (user and system, all threads, in seconds) and page faults.
    static func cpu() -> (seconds: Double, faults: Int) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return (seconds(usage.ru_utime) + seconds(usage.ru_stime), usage.ru_minflt + usage.ru_majflt)
    }
    /// Peak resident memory so far.
    static func peakMiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss >> 10
    }

    /// Resident memory now (the second number of /proc/self/statm, in pages).
    static func memory() -> String {
        var text = [CChar](repeating: 0, count: 128)
        guard let f = fopen("/proc/self/statm", "r") else { return "" }
        defer { fclose(f) }
        guard fgets(&text, 128, f) != nil else { return "" }
        let fields = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return "" }
        return "now \((pages * Int(sysconf(Int32(_SC_PAGESIZE)))) >> 20) MiB"
    }

    func mark(_ phase: String) {
        let now = Trace.now()
        let ms = Int(((now - last) * 1000).rounded())
        let (cpu, faults) = Trace.cpu()
        let cpuMS = Int(((cpu - lastCPU) * 1000).rounded()), newFaults = faults - lastFaults
        (last, lastCPU, lastFaults) = (now, cpu, faults)
        printError("trace: \(phase): \(ms) ms (cpu \(cpuMS) ms, \(newFaults) page faults), peak \(Trace.peakMiB()) MiB, \(Trace.memory())")
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
