import Testing
@testable import SiChaIO

/// Serves an in-memory byte array at most `chunk` bytes per read, so that records straddle reads.
final class MemorySource: ByteSource {
    let bytes: [UInt8]
    let chunk: Int
    var position = 0
    init(_ bytes: [UInt8], chunk: Int = 1 << 20) { self.bytes = bytes; self.chunk = chunk }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let n = min(buffer.count, chunk, bytes.count - position)
        for i in 0..<n { buffer[i] = bytes[position + i] }
        position += n
        return n
    }
}

/// A record as the tests compare it: line, fields (or nil with a problem), problem.
struct Row: Equatable, CustomStringConvertible {
    var line: Int
    var fields: [String]
    var problem: CSVProblem?
    var description: String { "\(line):\(fields)\(problem.map { " !\($0)" } ?? "")" }
}

func readAll(_ bytes: [UInt8], chunk: Int, readSize: Int = 1 << 20) throws -> [Row] {
    let reader = CSVReader(source: MemorySource(bytes, chunk: chunk), readSize: readSize)
    var rows: [Row] = []
    while try reader.next() {
        let fields = (0..<reader.fieldCount).map { String(decoding: reader.field($0), as: UTF8.self) }
        rows.append(Row(line: reader.line, fields: fields, problem: reader.problem))
    }
    return rows
}

/// The slow, obvious reading of the same rules over the whole input at once.
func reference(_ input: [UInt8]) -> [Row] {
    var s = input
    if s.starts(with: [0xEF, 0xBB, 0xBF]) { s.removeFirst(3) }
    var rows: [Row] = []
    var i = 0, line = 1
    let n = s.count
    while i < n {
        let start = i, startLine = line
        var fields: [String] = []
        var broken = false
        var lines = 0
        var unclosed = false
        fieldLoop: while true {
            var value: [UInt8] = []
            if i < n && s[i] == 0x22 {
                i += 1
                while true {
                    if i >= n { unclosed = true; break fieldLoop }
                    if s[i] == 0x22 {
                        if i + 1 < n && s[i + 1] == 0x22 { value.append(0x22); i += 2; continue }
                        i += 1; break
                    }
                    if s[i] == 0x0A { lines += 1 }
                    value.append(s[i]); i += 1
                }
                while i < n && s[i] != 0x2C && s[i] != 0x0A {
                    if s[i] == 0x0D && (i + 1 == n || s[i + 1] == 0x0A) { i += 1; continue }
                    broken = true; value.append(s[i]); i += 1
                }
            } else {
                while i < n && s[i] != 0x2C && s[i] != 0x0A {
                    if s[i] == 0x22 { broken = true }
                    value.append(s[i]); i += 1
                }
                if value.last == 0x0D && (i == n || s[i] == 0x0A) { value.removeLast() }
            }
            fields.append(String(decoding: value, as: UTF8.self))
            if i >= n { break }
            if s[i] == 0x2C { i += 1; if i == n { fields.append("") ; break }; continue }
            i += 1; lines += 1   // line feed
            break
        }
        if unclosed {
            rows.append(Row(line: startLine, fields: [], problem: .unclosedQuote))
            guard let lf = s[start...].firstIndex(of: 0x0A) else { return rows }
            i = lf + 1; line = startLine + 1
            continue
        }
        line += lines
        let blank = fields == [""] && !broken
        if !blank { rows.append(Row(line: startLine, fields: fields, problem: broken ? .brokenQuoting : nil)) }
    }
    return rows
}

@Suite struct CSVReaderTests {
    static let readSizes = [1, 2, 7, 64 << 10, 1 << 20]

    @Test func quotedFieldsSpanLinesAndKeepPhysicalLineNumbers() throws {
        let text = "id,name,note\r\n1,\"a,b\",\"x\ny\"\r\n2,\"say \"\"hi\"\"\",z\n\n3,c,\n"
        let expected = [
            Row(line: 1, fields: ["id", "name", "note"]),
            Row(line: 2, fields: ["1", "a,b", "x\ny"]),
            Row(line: 4, fields: ["2", "say \"hi\"", "z"]),
            Row(line: 6, fields: ["3", "c", ""]),
        ]
        for size in Self.readSizes {
            #expect(try readAll(Array(text.utf8), chunk: size) == expected, "read size \(size)")
        }
    }

    @Test func byteOrderMarkAndMissingFinalLineEnd() throws {
        let rows = try readAll([0xEF, 0xBB, 0xBF] + Array("a,b\n1,2".utf8), chunk: 1)
        #expect(rows == [Row(line: 1, fields: ["a", "b"]), Row(line: 2, fields: ["1", "2"])])
    }

    @Test func brokenQuotingIsFlaggedAndDoesNotSwallowLines() throws {
        let rows = try readAll(Array("a,b\"c,d\n\"x\"y,z\nok,1\n".utf8), chunk: 3)
        #expect(rows.map(\.problem) == [.brokenQuoting, .brokenQuoting, nil])
        #expect(rows.map(\.line) == [1, 2, 3])
    }

    @Test func unclosedQuoteResumesAtTheLineAfterItsStart() throws {
        let text = "h1,h2\n1,\"open\n2,b\n3,c\n"
        for size in Self.readSizes {
            let rows = try readAll(Array(text.utf8), chunk: size)
            #expect(rows == [Row(line: 1, fields: ["h1", "h2"]), Row(line: 2, fields: [], problem: .unclosedQuote),
                             Row(line: 3, fields: ["2", "b"]), Row(line: 4, fields: ["3", "c"])], "read size \(size)")
        }
    }

    @Test func recordsLongerThanOneMiBAreRejectedAndReadingResumes() throws {
        let long = String(repeating: "x", count: CSVReader.maxRecordBytes + 10)
        // An over-long single line, then an over-long quoted record spanning lines.
        let text = "a,b\n1,\(long)\n2,ok\n3,\"\(long)\nmore\n4,fine\n"
        let rows = try readAll(Array(text.utf8), chunk: 1 << 16, readSize: 1 << 16)
        #expect(rows.map(\.line) == [1, 2, 3, 4, 5, 6])
        #expect(rows.map(\.problem) == [nil, .tooLong, nil, .tooLong, nil, nil])
        #expect(rows[4].fields == ["more"])
        #expect(rows[5].fields == ["4", "fine"])
    }

    /// Odd seeds write quotes seldom, so that most text is quote-free, as registers are, and read
    /// eight bytes at a time; even seeds often.
    @Test(arguments: 0..<300)
    func matchesTheReferenceOnRandomInput(seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed))
        let alphabet: [[UInt8]] = [[0x61], [0x62], [0x2C], [0x0A], [0x0D, 0x0A], [0x0D], [0xE5, 0xBC, 0xA0], [0x20],
                                   Array("abcdefghijk".utf8)]
        // One token in this many is a quote.
        let quoteChance: UInt64 = seed % 2 == 0 ? 10 : 400
        var input: [UInt8] = rng.next() % 4 == 0 ? [0xEF, 0xBB, 0xBF] : []
        for _ in 0..<Int(rng.next() % 200) {
            input += rng.next() % quoteChance == 0 ? [0x22] : alphabet[Int(rng.next() % UInt64(alphabet.count))]
        }
        let expected = reference(input)
        for size in [1, 2, 7, 64 << 10] {
            let actual = try readAll(input, chunk: size, readSize: size)
            #expect(actual == expected, "seed \(seed) size \(size) input \(input)")
        }
    }
}

/// A small deterministic generator for test inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
