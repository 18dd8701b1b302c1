import ArgumentParser
import SiChaCore
import SiChaGenerate

extension Sicha {
    /// `sicha generate`: writes a synthetic corpus with planted anomalies and its truth.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a synthetic prefecture's four registers with planted anomalies, truth.csv and manifest.json.")

        @Option(help: "Number of people.")
        var persons: Int
        @Option(help: "Seed: the same arguments give byte-identical files.")
        var seed: UInt64
        @Option(help: "Output folder (created when missing).")
        var out: String
        @Option(name: .customLong("as-of"), help: "Date the registers are said to be extracted, YYYY-MM-DD.")
        var asOf = "2025-11-15"
        @Option(name: .customLong("school-year"), help: "School year Y, starting 1 September of Y (default: from --as-of).")
        var schoolYear: Int?
        @Option(help: "Two-digit province code that division codes and IDs start with.")
        var province = 53
        @Option(name: .customLong("frame-size"), help: "Uncompressed bytes per zstd frame: a number, or with KiB or MiB.")
        var frameSize = "1MiB"
        @Flag(help: "Several files per dataset in the formats of the contract (Chinese headers, BOM, CRLF, plain and zstd...).")
        var variants = false

        func validate() throws {
            if persons < 1 || persons > 2_000_000_000 { throw ValidationError("--persons must be from 1 to 2000000000") }
            guard let date = parseDate(asOf), date.year >= 1990 else {
                throw ValidationError("--as-of \(asOf) is not a date YYYY-MM-DD from 1990 on")
            }
            if let schoolYear, !(1950...date.year).contains(schoolYear) {
                throw ValidationError("--school-year must be from 1950 to the year of --as-of")
            }
            if !IDNumber.isProvince(province) { throw ValidationError("--province \(province) is not a province code of GB/T 2260") }
            guard let size = Self.bytes(frameSize), (4096...(1 << 30)).contains(size) else {
                throw ValidationError("--frame-size \(frameSize) must be from 4KiB to 1GiB, e.g. 1MiB")
            }
        }

        func run() throws {
            let date = parseDate(asOf)!
            let options = GeneratorOptions(
                persons: persons, seed: seed, directory: out, asOf: date,
                schoolYear: schoolYear ?? RunParameters(asOf: date).schoolYear,
                province: province, frameSize: Self.bytes(frameSize)!, variants: variants)
            let corpus: GeneratedCorpus
            do { corpus = try CorpusGenerator(options: options).run() } catch { Self.fail(error.description) }
            let rows = corpus.files.reduce(0) { $0 + $1.rows }
            let bytes = corpus.files.reduce(0) { $0 + $1.bytes }
            print("\(corpus.persons) persons, \(corpus.files.count) files, \(rows) rows, \(bytes) bytes, "
                  + "\(corpus.truthRows) truth rows in \(out)")
        }

        /// `8MiB`, `512KiB`, `65536`: a size in bytes.
        static func bytes(_ text: String) -> Int? {
            let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20)]
            for (suffix, scale) in units where text.hasSuffix(suffix) {
                return Int(text.dropLast(suffix.count)).flatMap { $0.multipliedReportingOverflow(by: scale).overflow ? nil : $0 * scale }
            }
            return Int(text)
        }
    }
}
