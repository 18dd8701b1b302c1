import Dispatch
import SiChaIO
import SiChaReport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The progress of a run on one line of standard error, rewritten in place a few times a second:
/// bytes read of the inputs' total size, rows per second, elapsed and remaining time.
///
/// Shown only when standard error is a terminal. It polls `ReadProgress.shared` from a timer, so
/// the readers do no more than count; it shows numbers only, never record content.
final class ProgressLine: @unchecked Sendable {
    private let total: Int?
    private let start = DispatchTime.now().uptimeNanoseconds
    private let baseline = ReadProgress.shared.counts
    private let queue = DispatchQueue(label: "sicha.progress")
    private let timer: DispatchSourceTimer
    private var shown = false
    private var lastBytes = 0, lastRows = 0
    private var readingTime = 0.0

    /// Starts the line for a run over `paths`, or returns nil when standard error is not a terminal.
    static func start(paths: [String]) -> ProgressLine? {
        guard isatty(2) == 1 else { return nil }
        var total: Int? = 0
        for path in paths {
            let size = regularFileSize(path)
            total = size.flatMap { size in total.map { $0 + size } }
        }
        return ProgressLine(total: total)
    }

    private init(total: Int?) {
        self.total = total
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler { [weak self] in self?.draw() }
        timer.resume()
    }

    /// Stops the timer and clears the line; nothing is drawn after it returns.
    func stop() {
        queue.sync {
            timer.cancel()
            if shown { emit("\r\u{1B}[K") }
            shown = false
        }
    }

    private func draw() {
        let now = ReadProgress.shared.counts
        let (bytes, rows) = (now.bytes - baseline.bytes, now.rows - baseline.rows)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let reading = bytes != lastBytes || rows != lastRows
        if reading { (lastBytes, lastRows, readingTime) = (bytes, rows, elapsed) }
        let state = Self.State(bytes: bytes, total: total, rows: rows, readingTime: readingTime, elapsed: elapsed, reading: reading)
        emit("\r" + Self.line(state) + "\u{1B}[K")
        shown = true
    }

    /// What the line shows: counts since the start, and the time spent until they last grew.
    struct State {
        var bytes: Int
        var total: Int?
        var rows: Int
        var readingTime: Double
        var elapsed: Double
        var reading: Bool
    }

    /// The text of the line, e.g. `sicha: read 12.3 MB of 45.6 MB (27%), 1,234,567 rows/s, 0:12 elapsed, 0:32 left`.
    /// Rows per second count the reading time only.
    static func line(_ s: State) -> String {
        var text = "sicha: read \(megabytes(s.bytes))"
        if let total = s.total, total > 0 {
            text += " of \(megabytes(total)) (\(min(s.bytes, total) * 100 / total)%)"
        }
        let perSecond = s.readingTime > 0 ? Int(Double(s.rows) / s.readingTime) : 0
        text += ", \(HTMLReport.grouped(perSecond)) rows/s, \(clock(s.elapsed)) elapsed"
        let finished = s.total.map { s.bytes >= $0 } ?? (s.elapsed - s.readingTime > 1)
        if !s.reading && s.bytes > 0 && finished {
            text += ", comparing"
        } else if let total = s.total, total > s.bytes, s.bytes > 0 {
            text += ", \(clock(s.readingTime * Double(total - s.bytes) / Double(s.bytes))) left"
        }
        return text
    }

    static func megabytes(_ bytes: Int) -> String { "\(bytes / 1_000_000).\(bytes / 100_000 % 10) MB" }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60)
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return h > 0 ? "\(h):\(two(m)):\(two(sec))" : "\(m):\(two(sec))"
    }

    private func emit(_ text: String) {
        var text = text
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}
