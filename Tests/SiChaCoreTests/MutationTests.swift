import Foundation
import Testing
@testable import SiChaCore
@testable import SiChaIO
import SiChaGenerate

/// Random and mutated inputs, in bounded time: nothing crashes, nothing is lost, and the chunked
/// reader agrees with the serial one.
@Suite struct MutationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let asOf = CivilDate(year: 2024, month: 10, day: 15)!

    @Test(arguments: 0..<2000)
    func idParserNeverCrashesAndValidNumbersRoundTrip(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed))
        let pieces = ["0", "1", "2", "5", "9", "X", "x", " ", ".", "E", "+", "１", "Ｘ", "张", "\u{3000}", "-"]
        var text = ""
        for _ in 0..<Int(rng.next() % 22) { text += pieces[Int(rng.next() % UInt64(pieces.count))] }
        if rng.next() % 3 == 0 { text = makeID("530102", "20120305", String(format: "%03d", Int(rng.next() % 1000))) }
        switch Array(text.utf8).withUnsafeBytes({ IDNumber.parse($0, asOf: Self.asOf) }) {
        case .success(let id):
            let again = Array(id.description.utf8).withUnsafeBytes { IDNumber.parse($0, asOf: Self.asOf) }
            #expect((try? again.get()) == id)
            #expect(id.description.count == 18 && id.birthDate <= Self.asOf)
        case .failure(let problem):
            #expect(!problem.description.isEmpty)
        }
    }

    /// Damages a file: flips, inserts and deletes bytes, favouring the ones CSV cares about.
    static func mutate(_ bytes: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var out = bytes
        let specials: [UInt8] = [0x22, 0x2C, 0x0A, 0x0D, 0x00, 0xFF, 0xE5]
        for _ in 0..<(1 + Int(rng.next() % 6)) where !out.isEmpty {
            let at = Int(rng.next() % UInt64(out.count))
            switch rng.next() % 4 {
            case 0: out[at] = specials[Int(rng.next() % UInt64(specials.count))]
            case 1: out.insert(specials[Int(rng.next() % UInt64(specials.count))], at: at)
            case 2: out.remove(at: at)
            default: out[at] ^= UInt8(truncatingIfNeeded: rng.next())
            }
        }
        return out
    }

    static let files = ["hukou-1.csv", "hukou-2.csv", "xueji-1.csv", "roster-1.csv", "roster-2.csv", "poverty-1.csv", "poverty-2.csv"]

    @Test(arguments: 0..<120)
    func damagedFilesReadTheSameSeriallyAndInChunks(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &* 7919)
        let name = Self.files[seed % Self.files.count]
        let original = try [UInt8](Data(contentsOf: Self.root.appendingPathComponent("corpora/small/\(name)")))
        let damaged = Self.mutate(original, &rng)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-mutated-\(seed)-\(name)").path
        try Data(damaged).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dataset = Dataset.allCases.first { name.hasPrefix($0.name) }!
        let file = InputFile(dataset: dataset, path: path, index: 0)
        let parameters = RunParameters(asOf: Self.asOf, schoolYear: 2024)
        let serial = Result { try RegisterReader(parameters: parameters).read([file]) }
        var chunked = RegisterReader(parameters: parameters, threads: 3)
        chunked.chunkSize = 97
        let parallel = Result { try chunked.read([file]) }
        switch (serial, parallel) {
        case (.success(let a), .success(let b)):
            let (x, y) = (a[0], b[0])
            #expect(x.rowsRead == y.rowsRead && x.rowsRejected == y.rowsRejected)
            #expect(x.rejects.map(\.location) == y.rejects.map(\.location) && x.rejects.map(\.reason) == y.rejects.map(\.reason))
            #expect(x.findings.map { "\($0.code) \($0.location.line) \($0.id)" } == y.findings.map { "\($0.code) \($0.location.line) \($0.id)" })
            // Every record after the header is a row, read or rejected.
            let reader = CSVReader(source: try FileSource(path: path))
            var records = 0
            while try reader.next() { records += 1 }
            #expect(x.rowsRead == records - 1)
        case (.failure(let a), .failure(let b)):
            #expect("\(a)" == "\(b)")
        default:
            Issue.record("serial \(serial) but chunked \(parallel)")
        }
    }
}
