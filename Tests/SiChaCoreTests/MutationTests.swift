import Foundation
import Testing
@testable import SiChaCore
@testable import SiChaIO
import SiChaGenerate
import CZstd

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
        Self.expectSame(serial, Result { try chunked.read([file]) }, rows: path)
    }

    /// The same for the registers written as zstd files of many frames (and so read in parts of
    /// them) that end anywhere: at a line end, in a line, in a quoted field.
    @Test(arguments: 0..<120)
    func damagedFilesReadTheSameSeriallyAndInFrames(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &* 104_729)
        let name = Self.files[seed % Self.files.count]
        let original = try [UInt8](Data(contentsOf: Self.root.appendingPathComponent("corpora/small/\(name)")))
        let text = seed % 4 == 0 ? original : Self.mutate(original, &rng)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-framed-\(seed)-\(name).zst").path
        try Data(Self.framed(text, &rng, atLineEnds: seed % 3 == 0)).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = InputFile(dataset: Dataset.allCases.first { name.hasPrefix($0.name) }!, path: path, index: 0)
        let parameters = RunParameters(asOf: Self.asOf, schoolYear: 2024)
        var framed = RegisterReader(parameters: parameters, threads: 3)
        framed.partSize = 1 + Int(rng.next() % 60)
        framed.partsChecked = 0  // (read in parts however the frames end, to be read again where they do not end at a record end)
        #expect((Self.parts(framed, file)?.count ?? 0) > 1)
        Self.expectSame(Result { try RegisterReader(parameters: parameters).read([file]) }, Result { try framed.read([file]) }, rows: path)
    }

    /// A zstd file of many frames with damaged compressed bytes fails as it does when read as one
    /// stream, with the same message, or reads the same.
    @Test(arguments: 0..<60)
    func damagedFramesFailAsOneStreamDoes(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &* 7_777)
        let original = try [UInt8](Data(contentsOf: Self.root.appendingPathComponent("corpora/small/hukou-1.csv")))
        var bytes = Self.framed(original, &rng, atLineEnds: seed % 2 == 0)
        // Mostly a changed byte, which leaves the frames whole (their headers are 6 bytes of 100).
        let at = Int(rng.next() % UInt64(bytes.count))
        switch rng.next() % 5 {
        case 0: bytes.removeSubrange(at...)
        case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
        default: bytes[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-damaged-frames-\(seed).csv.zst").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = InputFile(dataset: .hukou, path: path, index: 0)
        let parameters = RunParameters(asOf: Self.asOf, schoolYear: 2024)
        var framed = RegisterReader(parameters: parameters, threads: 2)
        framed.partSize = 1
        framed.partsChecked = 0
        Self.expectSame(Result { try RegisterReader(parameters: parameters).read([file]) }, Result { try framed.read([file]) }, rows: path)
    }

    /// Frames that end at line ends are read in parts; frames cut in lines (as `pzstd` cuts them)
    /// in chunks, rather than read in parts and then again as one stream.
    @Test func framesCutInLinesAreReadInChunks() throws {
        let text = try [UInt8](Data(contentsOf: Self.root.appendingPathComponent("corpora/small/hukou-1.csv")))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-cut-frames.csv.zst").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = InputFile(dataset: .hukou, path: path, index: 0)
        var reader = RegisterReader(parameters: RunParameters(asOf: Self.asOf, schoolYear: 2024), threads: 2)
        reader.partSize = 1
        var rng = SeededRandom(seed: 1)
        for atLineEnds in [true, false] {
            try Data(Self.framed(text, &rng, atLineEnds: atLineEnds)).write(to: URL(fileURLWithPath: path))
            #expect((reader.frameParts(file) != nil) == atLineEnds)
        }
        // Frames of one line each, then a fifth cut in a line: the file is read in parts (its first
        // three end in a line feed), and again from the fifth part on as one stream.
        let lines = text.indices.filter { text[$0] == 0x0A }
        try Data([0, 1, 2, 3].map { compressFrame(Array(text[(($0 == 0 ? -1 : lines[$0 - 1]) + 1)...lines[$0]])) }.joined()
                 + compressFrame(Array(text[(lines[3] + 1)..<(lines[5] - 3)])) + compressFrame(Array(text[(lines[5] - 3)...])))
            .write(to: URL(fileURLWithPath: path))
        #expect(Self.parts(reader, file)?.count == 6)
        let parameters = RunParameters(asOf: Self.asOf, schoolYear: 2024)
        Self.expectSame(Result { try RegisterReader(parameters: parameters).read([file]) }, Result { try reader.read([file]) }, rows: path)
    }

    /// The parts of a file are found as they are read: frames whose headers stop making sense after
    /// the first parts leave the rest of the file as one part, which fails as the file read as one
    /// stream does.
    @Test func framesFoundBrokenLaterLeaveTheRestAsOnePart() throws {
        let text = try [UInt8](Data(contentsOf: Self.root.appendingPathComponent("corpora/small/hukou-1.csv")))
        let lines = text.indices.filter { text[$0] == 0x0A }
        let frames = (0..<6).map { compressFrame(Array(text[($0 == 0 ? 0 : lines[$0 - 1] + 1)...lines[$0]])) } + [compressFrame(Array(text[(lines[5] + 1)...]))]
        let starts = frames.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-broken-later.csv.zst").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = InputFile(dataset: .hukou, path: path, index: 0)
        let parameters = RunParameters(asOf: Self.asOf, schoolYear: 2024)
        var reader = RegisterReader(parameters: parameters, threads: 2)
        reader.partSize = 1
        // The magic number of the sixth frame is changed; then the file ends inside the last frame.
        var bytes = Array(frames.joined())
        bytes[starts[5]] ^= 0x01
        for broken in [bytes, Array(frames.joined().dropLast(2))] {
            try Data(broken).write(to: URL(fileURLWithPath: path))
            let found = try #require(Self.parts(reader, file))
            #expect(found.dropLast() == zip(starts, starts.dropFirst()).prefix(found.count - 1).map { $0 ..< $1 })
            #expect(found.last!.upperBound == broken.count)
            let serial = Result { try RegisterReader(parameters: parameters).read([file]) }
            guard case .failure = serial else { Issue.record("read as one stream, \(path) did not fail"); continue }
            Self.expectSame(serial, Result { try reader.read([file]) }, rows: path)
        }
    }

    /// A part of a file ends at a record boundary only after a line feed outside quotes: one that
    /// ends in a line, or after a line feed in a quoted field, does not (the file is then read again
    /// from there as one stream).
    @Test func partsEndAtRecordBoundariesOnlyAfterLineFeedsOutsideQuotes() throws {
        let lines = try String(contentsOf: Self.root.appendingPathComponent("corpora/small/hukou-1.csv"), encoding: .utf8)
            .split(separator: "\n").prefix(3).map(String.init)
        let quoted = lines[2].replacingOccurrences(of: lines[2].split(separator: ",")[1], with: "\"张\n三\"")
        let text = Array((lines + [quoted, lines[1]]).map { $0 + "\n" }.joined().utf8)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-parts.csv.zst").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = InputFile(dataset: .hukou, path: path, index: 0)
        let reader = RegisterReader(parameters: RunParameters(asOf: Self.asOf, schoolYear: 2024), threads: 2)
        let inQuotes = text.indices.first { text[$0] == 0x0A && text[$0 - 1] == Array("张".utf8).last! }! + 1
        let afterTwo = text.indices.filter { text[$0] == 0x0A }[1] + 1
        // (The cut, whether a record ends there, and the rows before it.)
        for (cut, boundary, rows) in [(afterTwo, true, 1), (afterTwo - 5, false, 1), (inQuotes, false, 3), (text.count, true, 4)] {
            let first = compressFrame(Array(text[..<cut]))
            try Data(first + compressFrame(Array(text[cut...]))).write(to: URL(fileURLWithPath: path))
            let layout = try Layout(csv: CSVReader(source: openInput(path: path)), file: file)
            var out = FileExtract(file: file)
            #expect(try reader.readPart(0..<first.count, first: true, layout, .all, into: &out) == boundary, "cut at \(cut)")
            #expect(out.lines == text[..<cut].filter { $0 == 0x0A }.count && out.rowsRead == rows, "cut at \(cut)")
        }
    }

    /// `text` as zstd frames, each of up to 120 bytes of it, cut at line ends or anywhere.
    static func framed(_ text: [UInt8], _ rng: inout SeededRandom, atLineEnds: Bool) -> [UInt8] {
        var out: [UInt8] = [], start = 0
        while start < text.count {
            var end = min(text.count, start + 1 + Int(rng.next() % 120))
            if atLineEnds { end = text[end...].firstIndex(of: 0x0A).map { $0 + 1 } ?? text.count }
            out += compressFrame(Array(text[start..<end]))
            start = end
        }
        return out
    }

    /// All the parts `reader` reads `file` in, or nil when it reads the file otherwise.
    static func parts(_ reader: RegisterReader, _ file: InputFile) -> [Range<Int>]? {
        guard var found = reader.frameParts(file) else { return nil }
        var all: [Range<Int>] = []
        while let part = found.next() { all.append(part) }
        return all
    }

    /// Reading one file serially and in pieces gave the same rows, rejects and findings, or the same error.
    static func expectSame(_ serial: Result<[FileExtract], any Error>, _ parallel: Result<[FileExtract], any Error>, rows path: String) {
        switch (serial, parallel) {
        case (.success(let a), .success(let b)):
            let (x, y) = (a[0], b[0])
            #expect(x.rowsRead == y.rowsRead && x.rowsRejected == y.rowsRejected)
            #expect(x.rejects.map(\.location) == y.rejects.map(\.location) && x.rejects.map(\.reason) == y.rejects.map(\.reason))
            #expect(x.findings.map { "\($0.code) \($0.location.line) \($0.id)" } == y.findings.map { "\($0.code) \($0.location.line) \($0.id)" })
            #expect(x.hukou.map(\.location) == y.hukou.map(\.location) && x.xueji.map(\.location) == y.xueji.map(\.location)
                    && x.roster.map(\.location) == y.roster.map(\.location) && x.poverty.map(\.location) == y.poverty.map(\.location))
            // Every record after the header is a row, read or rejected.
            let reader = try! CSVReader(source: openInput(path: path))
            var records = 0
            while try! reader.next() { records += 1 }
            #expect(x.rowsRead == records - 1)
        case (.failure(let a), .failure(let b)):
            #expect("\(a)" == "\(b)")
        default:
            Issue.record("serial \(serial) but in pieces \(parallel)")
        }
    }
}

/// `bytes` as one zstd frame.
func compressFrame(_ bytes: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
    let n = out.withUnsafeMutableBytes { dst in
        bytes.withUnsafeBytes { src in ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, 1) }
    }
    precondition(ZSTD_isError(n) == 0)
    return Array(out[0..<n])
}
