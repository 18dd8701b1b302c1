import Foundation
import SiChaIO
import Testing

@Suite struct ReadProgressTests {
    @Test func addsUpFromAnyThread() async {
        let progress = ReadProgress()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { for _ in 0..<1000 { progress.add(bytes: 3, rows: 1) } } }
        }
        #expect(progress.counts.bytes == 24_000 && progress.counts.rows == 8000)
    }

    /// Other tests read at the same time, so the shared counts grow by at least this file's share.
    @Test func fileReadsAndParsedRowsAreCounted() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-progress-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        let text = "a,b\n" + String(repeating: "1,2\n", count: 5000)
        try text.write(to: url, atomically: true, encoding: .utf8)
        let before = ReadProgress.shared.counts
        do {
            let reader = CSVReader(source: try FileSource(path: url.path), readSize: 4096)
            while try reader.next() {}
        }
        let after = ReadProgress.shared.counts
        #expect(after.bytes - before.bytes >= text.utf8.count)
        #expect(after.rows - before.rows >= 5001)
    }
}
