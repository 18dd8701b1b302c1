import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SiChaCore
import SiChaIO
@testable import SiChaReport
import Testing

/// The repository root, found from this file's place in it.
private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private let asOf = CivilDate(year: 2024, month: 10, day: 15)!

/// The bundled corpus, verified in process with the parameters of `corpora/small/args`.
private func corpusRun(threads: Int = 1) throws -> Verification {
    let args = try String(contentsOf: root.appendingPathComponent("corpora/small/args"), encoding: .utf8)
        .split(separator: "\n").map(String.init)
    var paths: [(Dataset, String)] = []
    for i in stride(from: 0, to: args.count - 1, by: 2) {
        if let dataset = Dataset.allCases.first(where: { "--\($0.name)" == args[i] }) {
            paths.append((dataset, root.appendingPathComponent(args[i + 1]).path))
        }
    }
    #expect(args.contains("2024-10-15") && args.contains("2024"))
    let ordered = paths.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element)
    let files = ordered.enumerated().map { InputFile(dataset: $1.0, path: $1.1, index: $0) }
    return try Verifier(parameters: RunParameters(asOf: asOf, schoolYear: 2024), threads: threads).run(files)
}

/// The registers given as texts, written to `folder` and verified.
private func verify(_ registers: [(Dataset, String)], in folder: URL) throws -> Verification {
    var files: [InputFile] = []
    for (dataset, text) in registers {
        let path = folder.appendingPathComponent("\(dataset.name).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        files.append(InputFile(dataset: dataset, path: path, index: files.count))
    }
    return try Verifier(parameters: RunParameters(asOf: asOf, schoolYear: 2024)).run(files)
}

/// Whether `text` parses as XML (the page is written XHTML-clean): no parse error, and every
/// element that starts also ends.
private func isWellFormed(_ text: String) -> Bool {
    final class Depth: NSObject, XMLParserDelegate {
        var open = 0, failed = false
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) { open += 1 }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { open -= 1 }
        func parser(_ parser: XMLParser, parseErrorOccurred error: Error) { failed = true }
    }
    let parser = XMLParser(data: Data(text.utf8))
    let depth = Depth()
    parser.delegate = depth
    let parsed = parser.parse()
    return parsed && !depth.failed && parser.parserError == nil && depth.open == 0
}

/// The text of each cell of the table row with `id`, markup removed.
private func cells(ofRow id: String, in html: String) -> [String] {
    guard let start = html.range(of: "<tr id=\"\(id)\""),
          let end = html.range(of: "</tr>", range: start.upperBound..<html.endIndex) else { return [] }
    let row = String(html[start.upperBound..<end.lowerBound])
    return row.components(separatedBy: "<td").dropFirst().map { cell in
        let body = cell.drop(while: { $0 != ">" }).dropFirst()
        let content = body.range(of: "</td>").map { body[..<$0.lowerBound] } ?? body
        var text = "", inTag = false
        for ch in content {
            if ch == "<" { inTag = true } else if ch == ">" { inTag = false } else if !inTag { text.append(ch) }
        }
        return text.trimmingCharacters(in: .whitespaces)
    }
}

/// A valid ID number from its first 17 digits.
private func validID(_ first17: String) -> String {
    first17 + String(UnicodeScalar(IDNumber.checkCharacter(digits: first17.utf8.map { $0 - 0x30 })))
}

@Suite struct HTMLReportTests {
    @Test func corpusPageIsWellFormedAndSelfContained() throws {
        let html = HTMLReport.html(try corpusRun())
        #expect(isWellFormed(html))
        #expect(!isWellFormed("<p><b>unbalanced</p>"), "the check can fail")
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for outside in ["http://", "https://", "src=", "href=", "<link", "<script", "url(", "@import"] {
            #expect(!html.contains(outside), "the page refers to \(outside)")
        }
    }

    @Test func totalsPerRegisterAreTheRunsAccounting() throws {
        let run = try corpusRun()
        let html = HTMLReport.html(run)
        for dataset in Dataset.allCases {
            let files = run.files.filter { $0.dataset == dataset }
            let row = cells(ofRow: "register-\(dataset.name)", in: html)
            #expect(Array(row.dropFirst().prefix(4)) == [
                String(files.count), HTMLReport.grouped(files.reduce(0) { $0 + $1.rowsRead }),
                HTMLReport.grouped(files.reduce(0) { $0 + $1.rowsAccepted }), HTMLReport.grouped(files.reduce(0) { $0 + $1.rowsRejected }),
            ], "\(dataset.name)")
        }
        let total = cells(ofRow: "register-total", in: html)
        #expect(total.dropFirst(2).first == HTMLReport.grouped(run.files.reduce(0) { $0 + $1.rowsRead }))
    }

    @Test func countsPerCodeAndLevelAreTheRunsFindingsAndCases() throws {
        let run = try corpusRun()
        let html = HTMLReport.html(run)
        for code in FindingCode.allCases {
            let count = run.findings.filter { $0.code == code }.count
            #expect(cells(ofRow: "code-\(code.rawValue)", in: html).last == HTMLReport.grouped(count), "\(code.rawValue)")
        }
        #expect(cells(ofRow: "code-total", in: html).last == HTMLReport.grouped(run.findings.count))
        let levels = cells(ofRow: "levels-total", in: html)
        let expected = RiskLevel.allCases.map { level in String(run.cases.filter { $0.level == level }.count) } + [String(run.cases.count)]
        #expect(Array(levels.dropFirst().prefix(6)) == expected)
    }

    @Test func idsAreMaskedAndOnlyTheTopCasesAreListed() throws {
        let run = try corpusRun()
        let html = HTMLReport.html(run)
        #expect(!run.cases.isEmpty)
        for c in run.cases { #expect(!html.contains(c.id.description)) }
        for f in run.findings where f.id.count >= 15 { #expect(!html.contains(f.id)) }
        for c in run.cases.prefix(HTMLReport.topCases) {
            let masked = HTMLReport.mask(c.id.description)
            #expect(masked.count == 18 && masked.dropFirst(6).prefix(8) == "********" && html.contains(masked))
        }
        #expect(html.components(separatedBy: "<td class=\"id\">").count - 1 == min(HTMLReport.topCases, run.cases.count))
    }

    @Test func pageIsTheSameForAnyThreadCount() throws {
        #expect(HTMLReport.html(try corpusRun(threads: 1)) == HTMLReport.html(try corpusRun(threads: 3)))
    }

    @Test func textFromTheDataIsEscaped() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-html-<&>-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let child = validID("53010220150301001"), other = validID("53010220140301002")
        let hukou = """
            id,name,sex,birth_date,household_id,region_code,status
            \(child),"<b>&""Tom'</b>",1,2015-03-01,H1,530102<i>001,normal
            \(other),乙,2,2014-03-01,H2,530102001001,normal

            """
        let xueji = """
            student_no,id,name,sex,birth_date,school_code,school_region_code,grade,status
            G\(other),\(other),乙,2,2014-03-01,2153010201,530102001001,4,enrolled

            """
        try hukou.write(to: folder.appendingPathComponent("hukou.csv"), atomically: true, encoding: .utf8)
        try xueji.write(to: folder.appendingPathComponent("xueji.csv"), atomically: true, encoding: .utf8)
        let files = [InputFile(dataset: .hukou, path: folder.appendingPathComponent("hukou.csv").path, index: 0),
                     InputFile(dataset: .xueji, path: folder.appendingPathComponent("xueji.csv").path, index: 1)]
        let run = try Verifier(parameters: RunParameters(asOf: asOf, schoolYear: 2024)).run(files)
        #expect(run.cases.map(\.name) == ["<b>&\"Tom'</b>"])
        let html = HTMLReport.html(run)
        #expect(isWellFormed(html))
        #expect(html.contains("&lt;b&gt;&amp;&quot;Tom&#39;&lt;/b&gt;"))
        #expect(html.contains("530102&lt;i&gt;001"))
        #expect(html.contains("sicha-html-&lt;&amp;&gt;-"))
        #expect(!html.contains("<b>&") && !html.contains("<i>"))
        #expect(!html.contains(child))
    }

    @Test func escapeCoversMarkupAndControlCharacters() {
        #expect(HTMLReport.escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;")
        #expect(HTMLReport.escape("x\u{1}y\u{FFFF}") == "x\u{FFFD}y\u{FFFD}")
        #expect(HTMLReport.escape("张三\t") == "张三\t")
    }

    @Test func maskKeepsTheFirstSixAndLastFour() {
        #expect(HTMLReport.mask("53010220150301001X") == "530102********001X")
        #expect(HTMLReport.mask("123456") == "******")
    }

    @Test func numbersAreGroupedAndPercentagesRounded() {
        #expect(HTMLReport.grouped(0) == "0" && HTMLReport.grouped(1234) == "1,234" && HTMLReport.grouped(1234567) == "1,234,567")
        #expect(HTMLReport.percent(1, of: 3) == "33.3%" && HTMLReport.percent(0, of: 0) == "–")
    }
}

@Suite struct LedgerTests {
    /// A ledger row, its columns as the contract lists them: a name with a comma and a quote is
    /// quoted, a school code with zeros in front comes back as written, and `--mask-ids` masks the
    /// ID and nothing else.
    @Test func ledgerRowsQuoteNamesAndMaskIDs() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = "530102201403050014", name = #""王,小""明""#
        let registers: [(Dataset, String)] = [
            (.hukou, "id,name,sex,birth_date,household_id,region_code,status\n\(a),\(name),1,2014-03-05,H,530102001001,normal\n"),
            (.xueji, "student_no,id,name,sex,birth_date,school_code,school_region_code,grade,status\n"
                + "G\(a),\(a),\(name),1,2014-03-05,0053010201,530199000000,5,enrolled\n"),
        ]
        let run = try verify(registers, in: folder)
        func row(_ options: ReportOptions) throws -> String {
            let out = folder.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try ReportWriter(options: options).write(run, to: out.path)
            let rows = try String(contentsOf: out.appendingPathComponent("ledger_in_scope.csv"), encoding: .utf8).split(separator: "\n")
            #expect(rows.count == 2)
            return String(rows.last!)
        }
        let plain = try row(ReportOptions()), masked = try row(ReportOptions(maskIDs: true))
        #expect(plain.hasPrefix("\(a),\(name),M,2014-03-05,10,530102001001,0053010201,5,"), "\(plain)")
        #expect(masked == "530102********0014" + plain.dropFirst(18))
    }

    /// A child's region is the household's, or for a child known only from a roster the region of
    /// the school; the same digits as a household region and as a school code are two regions.
    @Test func regionsOfHouseholdsAndOfSchoolsAreKeptApart() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-\(UUID().uuidString)")
        let out = folder.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let code = "5301020010", (a, b, c) = ("530102201403050014", "530102201403050022", "530102201403050030")
        let registers: [(Dataset, String)] = [
            (.hukou, "id,name,sex,birth_date,household_id,region_code,status\n\(a),甲,1,2014-03-05,H,\(code),normal\n"),
            (.xueji, "student_no,id,name,sex,birth_date,school_code,school_region_code,grade,status\n"
                + "G\(c),\(c),丙,1,2014-03-05,\(code),530199000000,5,enrolled\n"),
            (.roster, "id,name,school_code,grade,days_expected,days_absent\n\(b),乙,\(code),5,60,0\n"),
        ]
        let run = try verify(registers, in: folder)
        try ReportWriter(options: ReportOptions()).write(run, to: out.path)
        let rows = try String(contentsOf: out.appendingPathComponent("ledger_in_scope.csv"), encoding: .utf8).split(separator: "\n")
        func region(_ id: String) -> String? { rows.first { $0.hasPrefix(id) }.map { String($0.split(separator: ",")[5]) } }
        #expect(region(a) == code && region(b) == "530199000000" && region(c) == "530199000000")
    }

    /// Findings per county (for summary.json and report.html) are counted by numbers; they must be
    /// what `SplitUnit.county` makes of each finding's region: six leading digits, zeros kept, or
    /// `unknown` for a shorter code or one with other characters.
    @Test func findingsPerCountyAreTheCountiesOfTheirRegions() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let regions = ["000102001001", "5301", "53a102001001", "530102001001", "530102009009", "５３０１０２００１"]
        var text = "id,name,sex,birth_date,household_id,region_code,status\n"
        for (i, region) in regions.enumerated() { text += "12345\(i),甲,1,2014-03-05,H,\(region),normal\n" }
        let path = folder.appendingPathComponent("hukou.csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try Verifier(parameters: RunParameters(asOf: asOf, schoolYear: 2024)).run([InputFile(dataset: .hukou, path: path, index: 0)])
        var expected: [FindingCode: [String: Int]] = [:]
        for f in run.findings { expected[f.code, default: [:]][SplitUnit.county.unit(region: f.regionCode, school: ""), default: 0] += 1 }
        #expect(run.findingsPerCounty() == expected)
        #expect(expected[.idInvalid] == ["000102": 1, "530102": 2, "unknown": 3])
    }
}

@Suite struct RowBlockTests {
    /// Rows formatted in blocks come out in order, whichever thread formats a block: also when every
    /// thread is busy writing a file of its own, so that each takes its own blocks.
    @Test(arguments: [1, 2, 3])
    func blocksOfRowsKeepTheirOrder(threads: Int) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let writer = ReportWriter(options: ReportOptions(threads: threads)), count = 100_003
        let failures = Slots(0)
        DispatchQueue.concurrentPerform(iterations: threads + 2) { n in
            let path = folder.appendingPathComponent("\(n).csv").path
            do {
                let file = try OutputFile(path: path)
                writer.rows(count, to: file) { block, part in
                    for row in block {
                        part.field(row)
                        part.field(n)
                        part.endRow()
                    }
                }
                try file.finish()
                try file.commit()
                let expected = (0..<count).map { "\($0),\(n)\n" }.joined()
                if try String(contentsOfFile: path, encoding: .utf8) != expected { failures.update { $0 += 1 } }
            } catch {
                failures.update { $0 += 1 }
            }
        }
        #expect(failures.value == 0)
    }
}
