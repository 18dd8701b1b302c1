import CZstd
import Foundation
import SiChaCore
import SiChaGenerate
import SiChaIO
import Testing

/// A fresh, empty folder under the system's temporary folder.
private func temporaryFolder() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-generate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

private let asOf = CivilDate(year: 2025, month: 11, day: 15)!

/// Generates a corpus into a new folder.
private func generate(persons: Int, seed: UInt64, variants: Bool, frameSize: Int = 64 << 10) throws -> (String, GeneratedCorpus) {
    let folder = try temporaryFolder()
    let options = GeneratorOptions(persons: persons, seed: seed, directory: folder, asOf: asOf, schoolYear: 2025,
                                   frameSize: frameSize, variants: variants)
    return (folder, try CorpusGenerator(options: options).run())
}

/// The rows of `truth.csv` as (code, dataset, id).
private func truthRows(_ folder: String) throws -> [[String]] {
    let text = try String(contentsOfFile: folder + "/truth.csv", encoding: .utf8)
    let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    #expect(lines.first == ["code", "dataset", "id"])
    return Array(lines.dropFirst())
}

/// How many times each element occurs.
private func counted<T: Hashable>(_ items: [T]) -> [T: Int] {
    items.reduce(into: [:]) { $0[$1, default: 0] += 1 }
}

@Test("the same options give the same bytes", arguments: [false, true])
func deterministic(variants: Bool) throws {
    let (a, corpusA) = try generate(persons: 5000, seed: 42, variants: variants)
    let (b, _) = try generate(persons: 5000, seed: 42, variants: variants)
    let (c, _) = try generate(persons: 5000, seed: 43, variants: variants)
    defer { for folder in [a, b, c] { try? FileManager.default.removeItem(atPath: folder) } }
    let names = corpusA.files.map(\.name) + ["truth.csv", "manifest.json"]
    #expect(names.count == (variants ? 14 : 6))
    for name in names {
        let bytesA = try Data(contentsOf: URL(fileURLWithPath: a + "/" + name))
        let bytesB = try Data(contentsOf: URL(fileURLWithPath: b + "/" + name))
        #expect(bytesA == bytesB, "\(name) differs between two runs")
    }
    let truthA = try Data(contentsOf: URL(fileURLWithPath: a + "/truth.csv"))
    let truthC = try Data(contentsOf: URL(fileURLWithPath: c + "/truth.csv"))
    #expect(truthA != truthC, "another seed gives another corpus")
}

@Test("every ID that is not planted as invalid is a valid ID number")
func validIDs() throws {
    let (folder, corpus) = try generate(persons: 20000, seed: 5, variants: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let invalid = Set(try truthRows(folder).filter { $0[0] == "ID_INVALID" }.map { "\($0[1]),\($0[2])" })
    var checked = 0, spelledOtherwise = 0
    for file in corpus.files {
        let csv = CSVReader(source: try openInput(path: folder + "/" + file.name))
        #expect(try csv.next())
        let header = (0..<csv.fieldCount).map { String(decoding: csv.field($0), as: UTF8.self) }
        let idSpec = file.dataset.columns.first { $0.name == "id" }!
        let column = header.firstIndex { h in
            let name = h.trimmingCharacters(in: .whitespaces).lowercased()
            return name == "id" || idSpec.aliases.contains(name)
        }!
        while try csv.next() {
            guard csv.fieldCount == header.count else { continue }
            let raw = String(decoding: csv.field(column), as: UTF8.self)
            if raw.isEmpty || invalid.contains("\(file.dataset.name),\(raw)") { continue }
            let parsed = IDNumber.parse(csv.field(column), asOf: asOf)
            guard case .success(let id) = parsed else {
                Issue.record("\(file.name) line \(csv.line): \(raw) is not valid: \(parsed)")
                continue
            }
            if id.description != raw { spelledOtherwise += 1 }
            checked += 1
        }
    }
    #expect(checked > 20000)
    #expect(spelledOtherwise > 0, "--variants spells some valid IDs in their other forms")
}

/// (With 40,000 persons the registers are walked in parts, whose memory is given back as each is done.)
@Test("Verifier finds exactly the findings of truth.csv", arguments: [false, true], [1, 2])
func verifierFindsTheTruth(variants: Bool, threads: Int) throws {
    let (folder, corpus) = try generate(persons: 40000, seed: 11, variants: variants)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let files = corpus.files.enumerated().map { InputFile(dataset: $1.dataset, path: folder + "/" + $1.name, index: $0) }
    let verification = try Verifier(parameters: RunParameters(asOf: asOf, schoolYear: 2025), threads: threads).run(files)

    let truth = try truthRows(folder)
    let expected = counted(truth.map { "\($0[0]),\($0[1]),\($0[2])" })
    let found = counted(verification.findings.map { "\($0.code.rawValue),\($0.dataset.name),\($0.id)" })
    for (row, count) in expected where (found[row] ?? 0) < count {
        Issue.record("truth row not found: \(row) (\(count) expected, \(found[row] ?? 0) found)")
    }
    for (row, count) in found where (expected[row] ?? 0) < count {
        Issue.record("finding not in truth: \(row)")
    }
    #expect(Set(truth.map { $0[0] }) == Set(FindingCode.allCases.map(\.rawValue)), "every finding code is planted")

    for (stats, file) in zip(verification.files, corpus.files) {
        #expect(stats.rowsRead == file.rows, "\(file.name): rows")
        #expect(stats.rowsRejected == file.rejects, "\(file.name): rejects")
        #expect(file.rejects >= 2)
    }
}

@Test("zstd files are independent frames that end at line ends")
func framesEndAtLineEnds() throws {
    let (folder, corpus) = try generate(persons: 3000, seed: 9, variants: false, frameSize: 4096)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + corpus.files[0].name)))
    var offset = 0, frames = 0, total = 0
    try data.withUnsafeBytes { bytes in
        while offset < bytes.count {
            let start = bytes.baseAddress! + offset
            let size = ZSTD_findFrameCompressedSize(start, bytes.count - offset)
            try #require(ZSTD_isError(size) == 0)
            let content = Int(ZSTD_getFrameContentSize(start, size))
            var out = [UInt8](repeating: 0, count: content)
            let n = ZSTD_decompress(&out, content, start, size)
            try #require(ZSTD_isError(n) == 0 && n == content)
            #expect(out.last == 0x0A)
            #expect(content >= 4096 || offset + size == bytes.count)
            offset += size; frames += 1; total += content
        }
    }
    #expect(frames > 10)
    #expect(total > 3000 * 60)
}
