// Micro-benchmarks of sicha's stages: the CSV tokeniser, ID number parsing and the whole
// read-and-join of a small generated corpus. Run from this folder:
//
//     swift package benchmark --target SiChaBenchmarks
//
// Allocation counts are exact and stable; times depend on the machine and its load.

import Benchmark
import Foundation
import SiChaCore
import SiChaGenerate
import SiChaIO

/// A corpus made by `sicha generate` in a temporary folder, with the decompressed hukou register
/// and ID fields cut from it, shared by the benchmarks of one process.
final class Fixture: @unchecked Sendable {
    static let asOf = CivilDate(year: 2025, month: 11, day: 15)!
    static let schoolYear = 2025
    /// Rows (and IDs) handled by one iteration: the benchmarks scale their metrics by this.
    static let rowsPerIteration = BenchmarkScalingFactor.kilo.rawValue

    let persons: Int
    let directory: String
    /// The hukou register as text, header included.
    private(set) var hukou: [UInt8] = []
    /// Runs of `rowsPerIteration` whole data rows in `hukou`.
    private(set) var slices: [Range<Int>] = []
    /// ID fields, end to end in `idBytes`: as in the register, and in the other spellings of the contract.
    private(set) var idBytes: [UInt8] = []
    private(set) var registerIDs: [Range<Int>] = []
    private(set) var otherSpellings: [Range<Int>] = []
    /// `birth_date` fields of the same rows, in `idBytes` too.
    private(set) var birthDates: [Range<Int>] = []

    init(persons: Int) {
        self.persons = persons
        directory = NSTemporaryDirectory() + "sicha-benchmarks-\(getpid())"
    }

    var files: [InputFile] {
        Dataset.allCases.enumerated().map { InputFile(dataset: $1, path: "\(directory)/\($1.name).csv.zst", index: $0) }
    }

    /// Generates the corpus and cuts the inputs of the micro-benchmarks from it (once).
    func make() throws {
        guard hukou.isEmpty else { return }
        let options = GeneratorOptions(persons: persons, seed: 1, directory: directory, asOf: Fixture.asOf,
                                       schoolYear: Fixture.schoolYear)
        _ = try CorpusGenerator(options: options).run()
        hukou = try Fixture.decompressed("\(directory)/hukou.csv.zst")

        var lineStarts: [Int] = []
        for (i, byte) in hukou.enumerated() where byte == 0x0A && i + 1 < hukou.count { lineStarts.append(i + 1) }
        lineStarts.append(hukou.count)
        // lineStarts[0] is the first data row.
        var n = 0
        while n + Fixture.rowsPerIteration < lineStarts.count {
            slices.append(lineStarts[n] ..< lineStarts[n + Fixture.rowsPerIteration])
            n += Fixture.rowsPerIteration
        }

        for start in lineStarts.prefix(Fixture.rowsPerIteration) {
            let fields = hukou[start...].prefix { $0 != 0x0A }.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            registerIDs.append(add(Array(fields[0])))
            otherSpellings.append(add(Fixture.respelled(Array(fields[0]), registerIDs.count)))
            birthDates.append(add(Array(fields[3])))
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    private func add(_ bytes: [UInt8]) -> Range<Int> {
        let start = idBytes.count
        idBytes += bytes
        return start ..< idBytes.count
    }

    /// The `n`th ID in one of the spellings that take the slow path: lowercase x or full-width
    /// digits, surrounding spaces, the 15-digit form, a wrong check character, scientific notation.
    static func respelled(_ id: [UInt8], _ n: Int) -> [UInt8] {
        guard id.count == 18 else { return id }
        switch n % 6 {
        case 0: return id.map { $0 == UInt8(ascii: "X") ? UInt8(ascii: "x") : $0 }
        case 1: return id.flatMap { $0 >= 0x30 && $0 <= 0x39 ? [0xEF, 0xBC, 0x90 + $0 - 0x30] : [$0] }
        case 2: return [0x20] + id + [0x20]
        case 3: return Array(id[0 ..< 6] + id[8 ..< 17])
        case 4: return Array(id[0 ..< 17]) + [id[17] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")]
        default: return Array("\(Character(Unicode.Scalar(id[0]))).\(String(decoding: id[1 ..< 6], as: UTF8.self))E+17".utf8)
        }
    }

    static func decompressed(_ path: String) throws -> [UInt8] {
        let source = try openInput(path: path)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buffer.withUnsafeMutableBytes { bytes throws(InputError) in try source.read(into: bytes) }
            if n == 0 { return out }
            out += buffer[0 ..< n]
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    let fixture = Fixture(persons: 100_000)
    Benchmark.setup = { try fixture.make() }
    Benchmark.teardown = { fixture.remove() }

    let perRow = Benchmark.Configuration(metrics: [.throughput, .wallClock, .mallocCountTotal],
                                         scalingFactor: .kilo, maxDuration: .seconds(2))

    // One iteration tokenises 1000 hukou rows (a different run of rows each time) and touches
    // every field; the reader's two buffers are its only allocations.
    Benchmark("CSVReader: hukou rows", configuration: perRow) { benchmark in
        let slice = fixture.slices[benchmark.currentIteration % fixture.slices.count]
        fixture.hukou.withUnsafeBufferPointer { all in
            let reader = CSVReader(chunk: UnsafeBufferPointer(rebasing: all[slice]), firstLine: 2)
            var bytes = 0
            for _ in benchmark.scaledIterations {
                guard (try? reader.next()) == true else { break }
                for i in 0 ..< reader.fieldCount { bytes &+= reader.field(i).count }
            }
            blackHole(bytes)
        }
    }

    /// Parses the IDs at the fixture's `ranges` (read when the benchmark runs), one per scaled iteration.
    func idBenchmark(_ name: String, _ ranges: KeyPath<Fixture, [Range<Int>]>) {
        Benchmark(name, configuration: perRow) { benchmark in
            let ranges = fixture[keyPath: ranges]
            fixture.idBytes.withUnsafeBytes { all in
                var valid = 0
                for i in benchmark.scaledIterations {
                    if case .success = IDNumber.parse(UnsafeRawBufferPointer(rebasing: all[ranges[i]]), asOf: Fixture.asOf) {
                        valid += 1
                    }
                }
                blackHole(valid)
            }
        }
    }
    // IDs as they stand in the register: 18 ASCII characters, nearly all valid (the fast path).
    idBenchmark("IDNumber.parse: register IDs", \.registerIDs)
    // The same IDs spelled as real exports damage them: x, full-width, padded, 15 digits, typo, 5.30102E+17.
    idBenchmark("IDNumber.parse: other spellings", \.otherSpellings)

    // The birth_date column of the register (YYYY-MM-DD): read on every hukou and xueji row.
    Benchmark("CivilDate.parse: birth dates", configuration: perRow) { benchmark in
        fixture.idBytes.withUnsafeBytes { all in
            var read = 0
            for i in benchmark.scaledIterations {
                if CivilDate.parse(UnsafeRawBufferPointer(rebasing: all[fixture.birthDates[i]])) != nil { read += 1 }
            }
            blackHole(read)
        }
    }

    // The whole of `sicha verify` short of writing files: read the four registers of 100 000
    // people (zstd, tokenise, decode, 四查) and join them (三比对, cases).
    for threads in [1, 2] {
        Benchmark("Verifier.run: 100k persons, \(threads) thread\(threads > 1 ? "s" : "")",
                  configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
                                       maxDuration: .seconds(5), maxIterations: 20)) { benchmark in
            let parameters = RunParameters(asOf: Fixture.asOf, schoolYear: Fixture.schoolYear)
            let result = try Verifier(parameters: parameters, threads: threads).run(fixture.files)
            blackHole(result.findings.count)
        }
    }
}
