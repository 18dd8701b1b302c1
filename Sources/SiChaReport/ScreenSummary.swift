import SiChaCore

/// The few lines printed at the end of a run: rows per register, findings per code, cases per colour.
public enum ScreenSummary {
    /// The summary of `run`, whose outputs are in `folder`; it holds counts only, never an ID or a name.
    public static func text(_ run: Verification, folder: String) -> String {
        var lines: [String] = []
        for dataset in Dataset.allCases where run.given.contains(dataset) {
            let files = run.files.filter { $0.dataset == dataset }
            let read = files.reduce(0) { $0 + $1.rowsRead }, rejected = files.reduce(0) { $0 + $1.rowsRejected }
            lines.append("\(dataset.name.padding(8)) \(String(read).leftPadding(10)) rows  \(String(rejected).leftPadding(8)) rejected  (\(files.count) file\(files.count == 1 ? "" : "s"))")
        }
        if !run.findings.isEmpty { lines.append("findings:") }
        for code in FindingCode.allCases.sorted() where run.count(code) > 0 {
            lines.append("  \(code.rawValue.padding(28)) \(String(run.count(code)).leftPadding(10))")
        }
        var levels = [Int](repeating: 0, count: RiskLevel.allCases.count)
        for c in run.cases { levels[c.level.rawValue] += 1 }
        lines.append("cases: \(run.cases.count) (" + RiskLevel.allCases.map { "\($0.name) \(levels[$0.rawValue])" }.joined(separator: ", ") + ")")
        let skipped = FindingCode.allCases.sorted().filter { !run.ran($0) }
        if !skipped.isEmpty { lines.append("not run (a register is missing): " + skipped.map(\.rawValue).joined(separator: ", ")) }
        lines.append("outputs: \(folder)/ (open report.html in a browser)")
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
    func leftPadding(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
