import Foundation
import Testing

/// The repository root, found from this file's place in it.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `sicha` binary built beside the test bundle.
let binary: URL = {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("sicha").path) {
        return candidate.appendingPathComponent("sicha")
    }
    return root.appendingPathComponent(".build/debug/sicha")
}()

struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the binary from the repository root.
func sicha(_ arguments: [String], stdin: Data? = nil) throws -> Outcome {
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = root
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
}

func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

let corpusArguments = try! String(contentsOf: root.appendingPathComponent("corpora/small/args"), encoding: .utf8)
    .split(separator: "\n").map(String.init)

/// Rows of a CSV file (no quoted line breaks in the columns compared), header dropped, first `n` columns.
func columns(_ url: URL, _ n: Int) throws -> [String] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst()
        .map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(n).joined(separator: ",") }
}

@Suite struct EndToEndTests {
    static let outputs = ["exceptions.csv", "cases.csv", "rejects.csv", "data_issues.csv", "ledger_in_scope.csv",
                          "ledger_suspected.csv", "ledger_dropped_out.csv", "summary.json", "report.html"]

    @Test(arguments: ["1", "2", "5"])
    func smallCorpusMatchesItsExpectedOutputsByteForByte(threads: String) throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try sicha(["verify"] + corpusArguments + ["--out", out.path, "--threads", threads])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty, "nothing on standard error when it is not a terminal")
        for name in Self.outputs {
            let actual = try Data(contentsOf: out.appendingPathComponent(name))
            let expected = try Data(contentsOf: root.appendingPathComponent("corpora/small/expected/\(name)"))
            #expect(actual == expected, "\(name) differs from corpora/small/expected/\(name)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == Self.outputs.sorted())
    }

    /// The expected outputs agree with the findings and rejects derived by hand from the contract.
    @Test func expectedOutputsAgreeWithTheHandDerivedIntent() throws {
        let small = root.appendingPathComponent("corpora/small")
        let findings = try columns(small.appendingPathComponent("expected/exceptions.csv"), 9).map { row in
            let f = row.split(separator: ",", omittingEmptySubsequences: false)
            return [f[0], f[1], f[6], f[7]].joined(separator: ",")
        }
        #expect(findings == (try columns(small.appendingPathComponent("intended-findings.csv"), 4)))
        // A reject's raw text may hold line breaks: keep the lines that start a row.
        let rejects = try columns(small.appendingPathComponent("expected/rejects.csv"), 3)
            .filter { row in ["hukou,", "xueji,", "roster,", "poverty,"].contains { row.hasPrefix($0 + "corpora/") } }
            .map { $0.split(separator: ",").dropFirst().joined(separator: ",") }
        #expect(rejects == (try columns(small.appendingPathComponent("intended-rejects.csv"), 2)))
        #expect(Set(findings.map { $0.split(separator: ",")[0] }).count == 15, "every finding code occurs")
    }

    @Test(arguments: ["county", "township", "school"])
    func splitsHoldExactlyTheirUnitsRowsAndAddUpToTheWhole(unit: String) throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try sicha(["verify"] + corpusArguments + ["--out", out.path, "--split-by", unit])
        #expect(run.status == 0, "\(run.stderr)")
        let splits = out.appendingPathComponent("by-\(unit)")
        let units = try FileManager.default.contentsOfDirectory(atPath: splits.path).sorted()
        #expect(!units.isEmpty && (unit == "county" || units.count > 1))
        for name in ["cases.csv", "exceptions.csv"] {
            let whole = try columns(out.appendingPathComponent(name), 20)
            var parts: [String] = []
            for u in units {
                let rows = try columns(splits.appendingPathComponent(u).appendingPathComponent(name), 20)
                for row in rows {
                    let f = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    let (region, school) = name == "cases.csv" ? (f[8], f[9]) : (f[4], f[5])
                    let expected: String
                    switch unit {
                    case "county": expected = region.count >= 6 ? String(region.prefix(6)) : "unknown"
                    case "township": expected = region.count >= 9 ? String(region.prefix(9)) : "unknown"
                    default: expected = school.isEmpty ? "unknown" : school
                    }
                    #expect(expected == u, "\(name) row in \(u): \(row)")
                }
                parts += rows
            }
            #expect(parts.sorted() == whole.sorted(), "\(name) splits add up to the whole")
        }
    }

    @Test func configOverridesWeightsAndLevels() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let defaults = try sicha(["config", "--print-defaults"])
        #expect(defaults.status == 0)
        let defaultsFile = folder.appendingPathComponent("defaults.json")
        try defaults.stdout.write(to: defaultsFile, atomically: true, encoding: .utf8)
        _ = try sicha(["verify"] + corpusArguments + ["--out", folder.appendingPathComponent("a").path, "--config", defaultsFile.path])
        let plain = try Data(contentsOf: root.appendingPathComponent("corpora/small/expected/cases.csv"))
        #expect(try Data(contentsOf: folder.appendingPathComponent("a/cases.csv")) == plain, "the printed defaults change nothing")

        let custom = folder.appendingPathComponent("custom.json")
        try #"{"weights": {"hukou_no_xueji": 99}, "levels": {"red": 95}}"#.write(to: custom, atomically: true, encoding: .utf8)
        let run = try sicha(["verify"] + corpusArguments + ["--out", folder.appendingPathComponent("b").path, "--config", custom.path])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try columns(folder.appendingPathComponent("b/cases.csv"), 14).map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let hukouOnly = rows.filter { $0[12] == "HUKOU_NO_XUEJI" }
        #expect(!hukouOnly.isEmpty && hukouOnly.allSatisfy { $0[13].hasPrefix("hukou_no_xueji+99") && $0[1] == "red" })

        try #"{"weights": {"hukou_no_xuej": 1}}"#.write(to: custom, atomically: true, encoding: .utf8)
        let typo = try sicha(["verify"] + corpusArguments + ["--out", folder.appendingPathComponent("c").path, "--config", custom.path])
        #expect(typo.status == 2 && typo.stderr.contains("unknown factor hukou_no_xuej"))
    }

    @Test func maskedIDsAndExcelByteOrderMark() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try sicha(["verify"] + corpusArguments + ["--out", out.path, "--mask-ids", "--excel"])
        #expect(run.status == 0)
        let cases = try Data(contentsOf: out.appendingPathComponent("cases.csv"))
        #expect(cases.starts(with: [0xEF, 0xBB, 0xBF]))
        let ids = try columns(out.appendingPathComponent("cases.csv"), 4).map { String($0.split(separator: ",")[3]) }
        #expect(!ids.isEmpty && ids.allSatisfy { $0.count == 18 && $0.dropFirst(6).prefix(8) == "********" })
    }

    @Test func failOnExitsOneOnlyWhenACaseIsThatUrgent() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let green = try sicha(["verify"] + corpusArguments + ["--out", out.path, "--fail-on", "green"])
        #expect(green.status == 1)
        let levels = try columns(out.appendingPathComponent("cases.csv"), 2).map { String($0.split(separator: ",")[1]) }
        let red = try sicha(["verify"] + corpusArguments + ["--out", out.path, "--fail-on", "red"])
        #expect(red.status == (levels.contains("red") ? 1 : 0))
    }

    @Test func standardInputIsARegister() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let text = "id,name,sex,birth_date,household_id,region_code,status\n11010519491231002X,甲,2,1949-12-31,H,110105001001,normal\n"
        let run = try sicha(["verify", "--hukou", "-", "--out", out.path, "--as-of", "2024-10-15"], stdin: Data(text.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try String(contentsOf: out.appendingPathComponent("summary.json"), encoding: .utf8).contains("\"file\": \"-\", \"rows_read\": 1"))
    }

    /// An adult's duplicate hukou records, kept as keys with their names and regions, are both
    /// reported, with name and region, whether they are in two files or one is in a file and the
    /// other on standard input.
    @Test(arguments: [true, false])
    func adultDuplicatesInTwoRegisters(secondOnStandardInput: Bool) throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let header = "id,name,sex,birth_date,household_id,region_code,status\n"
        let file = out.appendingPathComponent("h.csv"), second = out.appendingPathComponent("h2.csv")
        try Data((header + "11010519491231002X,甲,2,1949-12-31,H1,110105001001,normal\n").utf8).write(to: file)
        let text = header + "110105194912310037,乙,1,1949-12-31,H1,110105001001,normal\n"
            + "11010519491231002X,甲,2,1949-12-31,H2,110105001002,normal\n"
        try Data(text.utf8).write(to: second)
        let run = try sicha(["verify", "--hukou", file.path, "--hukou", secondOnStandardInput ? "-" : second.path,
                             "--out", out.path, "--as-of", "2024-10-15"], stdin: secondOnStandardInput ? Data(text.utf8) : nil)
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try columns(out.appendingPathComponent("exceptions.csv"), 8).filter { $0.hasPrefix("DUPLICATE_ID,") }
        #expect(rows.count == 2 && rows.allSatisfy { $0.contains(",甲,110105001") }, "\(rows)")
        #expect(rows.map { $0.split(separator: ",").last! } == ["2", "3"], "\(rows)")
    }

    @Test(arguments: [true, false])
    func adultDuplicatesFromAFileOrStandardInput(stdin: Bool) throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let text = "id,name,sex,birth_date,household_id,region_code,status\n"
            + "11010519491231002X,甲,2,1949-12-31,H1,110105001001,normal\n"
            + "110105194912310037,乙,1,1949-12-31,H1,110105001001,normal\n"
            + "11010519491231002X,甲,2,1949-12-31,H2,110105001002,normal\n"
        let file = out.appendingPathComponent("h.csv")
        try Data(text.utf8).write(to: file)
        let run = try sicha(["verify", "--hukou", stdin ? "-" : file.path, "--out", out.path, "--as-of", "2024-10-15"],
                            stdin: stdin ? Data(text.utf8) : nil)
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try columns(out.appendingPathComponent("exceptions.csv"), 8).filter { $0.hasPrefix("DUPLICATE_ID,") }
        #expect(rows.map { $0.split(separator: ",").last! } == ["2", "4"], "\(rows)")
        #expect(rows.allSatisfy { $0.contains(",甲,110105001") })
    }

    @Test(arguments: [
        (["verify", "--out", "/tmp/x"], "give at least one register"),
        (["verify", "--hukou", "a.csv", "--out", "/tmp/x", "--as-of", "2024-13-01"], "--as-of 2024-13-01 is not a date"),
        (["verify", "--hukou", "a.csv", "--out", "/tmp/x", "--as-of", "2604-01-01"], "--as-of 2604-01-01 is after 2603"),
        (["verify", "--hukou", "a.csv", "--out", "/tmp/x", "--fail-on", "purple"], "--fail-on must be"),
        (["verify", "--hukou", "a.csv"], "--out"),
    ])
    func usageErrorsExitTwo(arguments: [String], message: String) throws {
        let run = try sicha(arguments)
        #expect(run.status == 2)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }

    @Test func brokenFilesExitTwoWithOneLineNamingTheFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        let cases: [(String, Data, String)] = [
            ("missing.csv", Data("id,name,sex\n1,2,3\n".utf8), "missing required column"),
            ("empty.csv", Data(), "empty file"),
            ("twice.csv", Data("id,身份证号,name,sex,birth_date,household_id,region_code,status\n".utf8), "appears twice"),
            ("bad.csv.zst", Data(zstdMagic + [1, 2, 3, 4, 5, 6, 7, 8]), "zstd:"),
            ("plain.csv.zst", Data("id,name\n".utf8), "zstd:"),
        ]
        for (name, bytes, message) in cases {
            let path = folder.appendingPathComponent(name).path
            try bytes.write(to: URL(fileURLWithPath: path))
            let out = folder.appendingPathComponent("out-\(name)")
            let run = try sicha(["verify", "--hukou", path, "--out", out.path, "--as-of", "2024-10-15"])
            #expect(run.status == 2, "\(name)")
            #expect(run.stderr.split(separator: "\n").count == 1 && run.stderr.contains(path) && run.stderr.contains(message), "\(name): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("exceptions.csv").path))
        }
        let directory = try sicha(["verify", "--hukou", folder.path, "--out", folder.appendingPathComponent("o").path])
        #expect(directory.status == 2 && directory.stderr.contains("is a directory"))
        let missing = try sicha(["verify", "--hukou", folder.appendingPathComponent("nope.csv").path, "--out", folder.appendingPathComponent("o").path])
        #expect(missing.status == 2 && missing.stderr.contains("cannot open"))
    }

    @Test func gb18030InputIsReadWhenToldSo() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 姓名 and 甲 in GB18030.
        var bytes = Array("id,".utf8) + [0xD0, 0xD5, 0xC3, 0xFB] + Array(",sex,birth_date,household_id,region_code,status\n11010519491231002X,".utf8)
        bytes += [0xBC, 0xD7] + Array(",2,1949-12-31,H,110105001001,normal\n".utf8)
        let path = folder.appendingPathComponent("gb.csv").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let utf8 = try sicha(["verify", "--hukou", path, "--out", folder.appendingPathComponent("a").path])
        #expect(utf8.status == 2 && utf8.stderr.contains("--encoding gb18030"))
        let gb = try sicha(["verify", "--hukou", path, "--out", folder.appendingPathComponent("b").path, "--encoding", "gb18030",
                            "--as-of", "2024-10-15"])
        #expect(gb.status == 0, "\(gb.stderr)")
    }
}
