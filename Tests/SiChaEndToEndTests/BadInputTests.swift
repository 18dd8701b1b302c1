import Foundation
import Testing

/// The catalogue of broken inputs: each gives exit 2 with one line naming the file, or a reject row.
@Suite final class BadInputTests {
    /// Each test gets its own folder, removed when the test ends.
    let folder: URL
    init() throws { folder = try temporaryFolder() }
    deinit { try? FileManager.default.removeItem(at: folder) }

    let hukouHeader = "id,name,sex,birth_date,household_id,region_code,status\n"
    let row = "11010519491231002X,甲,2,1949-12-31,H,110105001001,normal\n"

    func verify(_ files: [(String, Data)], extra: [String] = []) throws -> (Outcome, URL) {
        var arguments = ["verify"]
        for (name, bytes) in files {
            let url = folder.appendingPathComponent(name)
            try bytes.write(to: url)
            arguments += ["--hukou", url.path]
        }
        let out = folder.appendingPathComponent("out")
        return (try sicha(arguments + ["--out", out.path, "--as-of", "2024-10-15"] + extra), out)
    }

    @Test func headerOnlyIsAnEmptyRegister() throws {
        let (run, out) = try verify([("h.csv", Data(hukouHeader.utf8))])
        #expect(run.status == 0)
        #expect(try String(contentsOf: out.appendingPathComponent("summary.json"), encoding: .utf8).contains("\"rows_read\": 0"))
    }

    @Test func nulBytesAndBadUTF8AreRejectedRows() throws {
        var bytes = Array((hukouHeader + row).utf8)
        bytes += Array("11010519491231002X,甲".utf8) + [0] + Array(",2,1949-12-31,H,110105001001,normal\n".utf8)
        bytes += Array("11010519491231002X,".utf8) + [0xC3, 0x28] + Array(",2,1949-12-31,H,110105001001,normal\n".utf8)
        let (run, out) = try verify([("h.csv", Data(bytes))])
        #expect(run.status == 0)
        let rejects = try String(contentsOf: out.appendingPathComponent("rejects.csv"), encoding: .utf8)
        #expect(rejects.contains(",3,bad encoding: NUL byte,") && rejects.contains(",4,bad encoding: invalid UTF-8,"))
    }

    @Test func aHundredMiBLineIsOneRejectAndReadingGoesOn() throws {
        var bytes = Array((hukouHeader + row).utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: 100 << 20) + [0x0A]
        bytes += Array(row.utf8)
        for threads in ["1", "2"] {
            let (run, out) = try verify([("h.csv", Data(bytes))], extra: ["--threads", threads])
            #expect(run.status == 0)
            let summary = try String(contentsOf: out.appendingPathComponent("summary.json"), encoding: .utf8)
            #expect(summary.contains("\"rows_read\": 3, \"rows_accepted\": 2, \"rows_rejected\": 1"), "\(summary)")
            let rejects = try String(contentsOf: out.appendingPathComponent("rejects.csv"), encoding: .utf8)
            #expect(rejects.contains(",3,record longer than 1 MiB,"))
            #expect(rejects.utf8.count < 1000, "raw is cut to 200 bytes")
        }
    }

    @Test func truncatedZstdExitsTwo() throws {
        let plain = folder.appendingPathComponent("h.csv")
        try Data((hukouHeader + String(repeating: row, count: 2000)).utf8).write(to: plain)
        let zstd = Process()
        zstd.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        zstd.arguments = ["zstd", "-q", "-f", plain.path]
        try zstd.run()
        zstd.waitUntilExit()
        let compressed = try Data(contentsOf: folder.appendingPathComponent("h.csv.zst"))
        let (run, out) = try verify([("cut.csv.zst", compressed.prefix(compressed.count - 10))])
        #expect(run.status == 2 && run.stderr.contains("cut.csv.zst: zstd: truncated"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path + "/exceptions.csv"))
    }

    @Test func anOutputFolderThatCannotBeWritten() throws {
        let blocker = folder.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        let input = folder.appendingPathComponent("h.csv")
        try Data((hukouHeader + row).utf8).write(to: input)
        let run = try sicha(["verify", "--hukou", input.path, "--out", blocker.path + "/out", "--as-of", "2024-10-15"])
        #expect(run.status == 2 && run.stderr.contains("cannot create the output folder") && run.stderr.contains("is a file"), "\(run.stderr)")
        // Missing parent folders are made, as `mkdir -p` would.
        let nested = folder.appendingPathComponent("a/b/c")
        let made = try sicha(["verify", "--hukou", input.path, "--out", nested.path, "--as-of", "2024-10-15"])
        #expect(made.status == 0 && FileManager.default.fileExists(atPath: nested.appendingPathComponent("summary.json").path))
    }

    /// A disk that fills while writing: a file-size limit of 64 KiB. (Under the thread sanitizer its
    /// own runtime faults when a file-size limit is set, before sicha runs: not a finding about sicha.)
    @Test(.disabled(if: ProcessInfo.processInfo.environment["SICHA_SANITIZER"] == "thread"))
    func aFullDiskLeavesNoFinishedLookingOutput() throws {
        let input = folder.appendingPathComponent("h.csv")
        var text = hukouHeader
        for i in 0..<5000 { text += "1101051949123100\(String(format: "%02d", i % 100)),某,2,1949-12-31,H\(i),110105001001,normal\n" }
        try Data(text.utf8).write(to: input)
        let out = folder.appendingPathComponent("out")
        let command = "ulimit -f 64; exec '\(binary.path)' verify --hukou '\(input.path)' --out '\(out.path)' --as-of 2024-10-15"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2, "\(message)")
        #expect(message.contains("cannot write") && message.split(separator: "\n").count == 1, "\(message)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
        #expect(left.isEmpty, "\(left)")
    }

    /// No ID number or name appears in anything the engine prints about a run.
    @Test func messagesHoldNoIDsOrNames() throws {
        let run = try sicha(["verify"] + corpusArguments + ["--out", folder.appendingPathComponent("corpus").path])
        var printed = run.stdout + run.stderr
        let broken = try verify([("h.csv", Data((hukouHeader + row + "11010519491231002X,乙,2\n").utf8)), ("e.csv", Data())])
        printed += broken.0.stdout + broken.0.stderr
        #expect(printed.range(of: #"\d{15}"#, options: .regularExpression) == nil, "\(printed)")
        let names = try columns(root.appendingPathComponent("corpora/small/expected/exceptions.csv"), 4)
            .map { String($0.split(separator: ",", omittingEmptySubsequences: false)[3]) }.filter { $0.count >= 2 }
        #expect(!names.isEmpty)
        for name in Set(names) + ["甲", "乙"] { #expect(!printed.contains(name), "\(name)") }
    }
}
