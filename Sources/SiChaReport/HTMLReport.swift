import SiChaCore

/// `report.html`: the run on one page for the people who act on it, Chinese first with English labels.
///
/// The page is self-contained (inline CSS and SVG, no scripts, no links out), so it opens from a
/// USB stick without a network. It shows aggregates only: counts per register, comparison, code,
/// county and colour, and per input file; the one exception is the top of the case list, whose
/// IDs are always masked. Every text taken from the data is escaped. The page is well-formed XML
/// as well as HTML, and the same run always gives the same bytes (no time of the run on it).
public enum HTMLReport {
    /// How many cases the page lists; `cases.csv` has them all.
    public static let topCases = 50

    /// The whole page for `run`.
    public static func html(_ run: Verification) -> String {
        var page = Page(run: run)
        page.header()
        page.registers()
        page.funnel()
        page.findings()
        page.colours()
        page.topOfCases()
        page.quality()
        page.out += "<footer>sicha \(escape(engineVersion)) · 四查三比对 · 完整清单见 exceptions.csv、cases.csv、rejects.csv、summary.json"
        page.out += " <span class=\"en\">Full lists: exceptions.csv, cases.csv, rejects.csv, summary.json</span></footer>\n"
        page.out += "</body>\n</html>\n"
        return page.out
    }

    /// Text made safe for HTML and XML: markup characters become entities, and control characters
    /// that XML does not allow become U+FFFD.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(ch)
            case _ where ch.value < 0x20 || ch.value == 0xFFFE || ch.value == 0xFFFF: out += "\u{FFFD}"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// First 6 and last 4 characters with `*` between; all `*` when shorter than 11.
    public static func mask(_ id: String) -> String {
        let chars = Array(id)
        guard chars.count > 10 else { return String(repeating: "*", count: chars.count) }
        return String(chars[0..<6]) + String(repeating: "*", count: chars.count - 10) + String(chars[(chars.count - 4)...])
    }

    /// `1234567` as `1,234,567`.
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return n < 0 ? "-" + out : out
    }

    /// `part / whole` as a percentage with one decimal, `–` when `whole` is 0.
    static func percent(_ part: Int, of whole: Int) -> String { percentText(part, of: whole) ?? "–" }

    /// 中文 names of the finding codes, as the 控辍保学 work calls them.
    static func chinese(_ code: FindingCode) -> String {
        switch code {
        case .idInvalid: return "身份证号无效"
        case .idBirthMismatch: return "出生日期不符"
        case .idSexMismatch: return "性别不符"
        case .duplicateID: return "证件号重复"
        case .chronicAbsence: return "长期缺勤"
        case .hukouNoXueji: return "户籍有学籍无"
        case .xuejiDroppedOut: return "辍学未复学"
        case .xuejiNoHukou: return "学籍有户籍无"
        case .xuejiHukouInactive: return "空挂学籍"
        case .identityMismatch: return "身份信息不一致"
        case .enrolledNotPresent: return "有籍无人"
        case .presentNotEnrolled: return "有人无籍"
        case .schoolMismatch: return "人籍分离"
        case .povertyChildNotInSchool: return "脱贫家庭子女未在校"
        case .povertyNoHukou: return "脱贫人口无户籍"
        }
    }

    static func chinese(_ dataset: Dataset) -> String { ["户籍", "学籍", "在校生", "建档立卡"][dataset.rawValue] }

    static func chinese(_ level: RiskLevel) -> String { ["红", "橙", "黄", "蓝", "绿"][level.rawValue] }

    static func chinese(_ category: PovertyCategory) -> String {
        ["未脱贫户", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户", "脱贫户"][Int(category.rawValue)]
    }

    /// Fill colours of the five levels.
    static let levelColours = ["#d7301f", "#f28e2b", "#f2c200", "#3a7bd5", "#2ca25f"]
}

/// The page as it is built, section by section.
private struct Page {
    let run: Verification
    var out = ""
    /// Findings per code and county, counted once.
    let byCode: [FindingCode: [String: Int]]
    let codeTotals: [FindingCode: Int]

    init(run: Verification) {
        self.run = run
        byCode = run.findingsPerCounty()
        codeTotals = byCode.mapValues { $0.values.reduce(0, +) }
    }

    typealias H = HTMLReport

    func e(_ text: String) -> String { H.escape(text) }

    func heading(_ chinese: String, _ english: String) -> String {
        "<h2>\(chinese) <span class=\"en\">\(english)</span></h2>\n"
    }

    func label(_ chinese: String, _ english: String) -> String { "\(chinese)<br/><span class=\"en\">\(english)</span>" }

    /// A county code as shown: `unknown` is 未知.
    func countyLabel(_ county: String) -> String { county == "unknown" ? "未知 <span class=\"en\">unknown</span>" : e(county) }

    /// Counties in code order, `unknown` last.
    func sortedCounties(_ counties: some Sequence<String>) -> [String] {
        Set(counties).sorted { a, b in
            if (a == "unknown") != (b == "unknown") { return b == "unknown" }
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    func rows(_ dataset: Dataset) -> (files: Int, read: Int, accepted: Int, rejected: Int) {
        let files = run.files.filter { $0.dataset == dataset }
        return (files.count, files.reduce(0) { $0 + $1.rowsRead }, files.reduce(0) { $0 + $1.rowsAccepted },
                files.reduce(0) { $0 + $1.rowsRejected })
    }

    // MARK: sections

    mutating func header() {
        let p = run.parameters
        out += "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
        out += "<title>控辍保学 四查三比对 核查报告 · sicha report</title>\n<style>\n\(Self.css)</style>\n</head>\n<body>\n"
        out += "<h1>控辍保学 四查三比对 核查报告 <span class=\"en\">Dropout-control cross-check report</span></h1>\n"
        let comparisons = FindingCode.allCases.filter { !$0.needs.isEmpty }.sorted()
        let skipped = comparisons.filter { !run.ran($0) }
        let given = Dataset.allCases.filter(run.given.contains)
        out += "<table class=\"params\">\n"
        out += "<tr><th>\(label("数据截止日期", "As-of date"))</th><td>\(p.asOf)</td>"
        out += "<th>\(label("学年", "School year"))</th><td>\(p.schoolYear)–\(p.schoolYear + 1)</td>"
        out += "<th>\(label("适龄范围", "Ages in scope"))</th><td>\(p.minAge)–\(p.maxAge) 岁 (\(p.schoolYear)-08-31)</td>"
        out += "<th>\(label("长期缺勤阈值", "Absence threshold"))</th><td>\(p.absenceThreshold)</td></tr>\n"
        out += "<tr><th>\(label("登记册", "Registers"))</th><td colspan=\"3\">"
        out += given.map { "\(H.chinese($0)) \($0.name)" }.joined(separator: "、") + "</td>"
        out += "<th>\(label("比对", "Comparisons"))</th><td colspan=\"3\">运行 \(comparisons.count - skipped.count) / \(comparisons.count) ran"
        if !skipped.isEmpty {
            out += "；未运行 <span class=\"en\">not run</span>: " + skipped.map { "\(H.chinese($0)) \($0.rawValue)" }.joined(separator: "、")
        }
        out += "</td></tr>\n</table>\n"

        let read = run.files.reduce(0) { $0 + $1.rowsRead }, rejected = run.files.reduce(0) { $0 + $1.rowsRejected }
        let red = run.cases.filter { $0.level == .red }.count
        out += "<div class=\"tiles\">\n"
        for (value, chinese, english, style) in [
            (read, "读入记录", "rows read", ""), (rejected, "拒收记录", "rows rejected", ""),
            (run.findings.count, "问题", "findings", ""), (run.cases.count, "重点个案", "cases", ""),
            (red, "红色个案", "red cases", " red"),
        ] {
            out += "<div class=\"tile\(style)\"><b>\(H.grouped(value))</b>\(chinese) <span class=\"en\">\(english)</span></div>\n"
        }
        out += "</div>\n"
        if !run.cases.isEmpty {
            out += "<p class=\"note\">本报告中身份证号均已脱敏（前6位与后4位）。<span class=\"en\">IDs in this report are masked "
            out += "(first 6 and last 4 characters).</span></p>\n"
        }
    }

    mutating func registers() {
        out += "<section>\n" + heading("一、各登记册汇总", "Rows per register")
        out += "<table>\n<tr><th>\(label("登记册", "Register"))</th><th>\(label("文件", "Files"))</th>"
        out += "<th>\(label("读入", "Rows read"))</th><th>\(label("接收", "Accepted"))</th><th>\(label("拒收", "Rejected"))</th>"
        out += "<th>\(label("拒收率", "Rejected %"))</th></tr>\n"
        var total = (files: 0, read: 0, accepted: 0, rejected: 0)
        for dataset in Dataset.allCases {
            out += "<tr id=\"register-\(dataset.name)\"><td>\(H.chinese(dataset)) <span class=\"en\">\(dataset.name)</span></td>"
            guard run.given.contains(dataset) else {
                out += "<td colspan=\"5\" class=\"muted\">未提供 <span class=\"en\">not given</span></td></tr>\n"
                continue
            }
            let r = rows(dataset)
            total = (total.files + r.files, total.read + r.read, total.accepted + r.accepted, total.rejected + r.rejected)
            out += "<td class=\"n\">\(r.files)</td><td class=\"n\">\(H.grouped(r.read))</td><td class=\"n\">\(H.grouped(r.accepted))</td>"
            out += "<td class=\"n\">\(H.grouped(r.rejected))</td><td class=\"n\">\(H.percent(r.rejected, of: r.read))</td></tr>\n"
        }
        out += "<tr id=\"register-total\" class=\"total\"><td>合计 <span class=\"en\">total</span></td><td class=\"n\">\(total.files)</td>"
        out += "<td class=\"n\">\(H.grouped(total.read))</td><td class=\"n\">\(H.grouped(total.accepted))</td>"
        out += "<td class=\"n\">\(H.grouped(total.rejected))</td><td class=\"n\">\(H.percent(total.rejected, of: total.read))</td></tr>\n"
        out += "</table>\n</section>\n"
    }

    /// 户籍 → 学籍 → 在校 as narrowing bars, each step labelled with the comparisons between the
    /// registers; 脱贫户 below, with the comparisons against the other two.
    mutating func funnel() {
        out += "<section>\n" + heading("二、三比对漏斗", "Comparison funnel")
        out += "<p class=\"note\">条形长度为各登记册接收记录数；右侧为比对发现的问题数。"
        out += "<span class=\"en\">Bar length: accepted records of each register; right: findings of the comparisons.</span></p>\n"
        let stages: [(Dataset, String, [FindingCode])] = [
            (.hukou, "户籍人口", []),
            (.xueji, "学籍", [.hukouNoXueji, .xuejiNoHukou, .xuejiHukouInactive, .identityMismatch, .xuejiDroppedOut]),
            (.roster, "在校生", [.enrolledNotPresent, .presentNotEnrolled, .schoolMismatch]),
            (.poverty, "脱贫户", [.povertyChildNotInSchool, .povertyNoHukou]),
        ]
        let counts = stages.map { rows($0.0).accepted }
        let widest = max(1, counts.max() ?? 1)
        let (labelEnd, left, span, textLeft, barHeight, lineHeight) = (190, 210, 400, 650, 34, 20)
        var svg = ""
        var y = 8
        var previous: (x: Int, width: Int, bottom: Int)?
        func lines(_ codes: [FindingCode], from top: Int) -> String {
            var text = "", ty = top
            for code in codes {
                let value = run.ran(code) ? H.grouped(codeTotals[code] ?? 0) : "未运行 not run"
                text += "<text x=\"\(textLeft)\" y=\"\(ty)\" class=\"finding\">\(H.chinese(code)) <tspan class=\"code\">\(code.rawValue)</tspan>"
                text += " <tspan class=\"count\">\(value)</tspan></text>\n"
                ty += lineHeight
            }
            return text
        }
        for (i, (dataset, name, codes)) in stages.enumerated() {
            let given = run.given.contains(dataset)
            let width = given ? max(6, span * counts[i] / widest) : span, x = left + (span - width) / 2
            if dataset == .poverty {
                svg += "<line x1=\"0\" y1=\"\(y + 14)\" x2=\"1080\" y2=\"\(y + 14)\" class=\"rule\"/>\n"
                y += 28
                svg += lines(codes, from: y + 12)
            } else if !codes.isEmpty {
                let gap = codes.count * lineHeight + 14
                svg += lines(codes, from: y + 18)
                if let p = previous, given {
                    svg += "<polygon points=\"\(p.x),\(p.bottom) \(p.x + p.width),\(p.bottom) \(x + width),\(y + gap) \(x),\(y + gap)\" class=\"neck\"/>\n"
                    svg += "<text x=\"\(left + span / 2)\" y=\"\(y + gap / 2 + 5)\" class=\"arrow\">▼</text>\n"
                }
                y += gap
            }
            svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(width)\" height=\"\(barHeight)\" class=\"\(given ? "stage s\(i)" : "stage absent")\"/>\n"
            svg += "<text x=\"\(labelEnd)\" y=\"\(y + 15)\" class=\"stage-name\">\(name) <tspan class=\"en\">\(dataset.name)</tspan></text>\n"
            let count = given ? "\(H.grouped(counts[i])) 条 records" : "未提供 not given"
            svg += "<text x=\"\(labelEnd)\" y=\"\(y + 31)\" class=\"stage-count\">\(count)</text>\n"
            previous = given ? (x, width, y + barHeight) : nil
            y += barHeight
        }
        out += "<svg class=\"funnel\" width=\"1080\" height=\"\(y + 24)\" viewBox=\"0 0 1080 \(y + 24)\" role=\"img\" aria-label=\"三比对漏斗\">\n"
        out += svg + "</svg>\n</section>\n"
    }

    mutating func findings() {
        out += "<section>\n" + heading("三、问题分布", "Findings by code and county")
        out += "<table>\n<tr><th>\(label("代码", "Code"))</th><th>\(label("问题", "Finding"))</th><th>\(label("类别", "Kind"))</th>"
        out += "<th>\(label("登记册", "Register"))</th><th>\(label("数量", "Count"))</th></tr>\n"
        for code in FindingCode.allCases.sorted() {
            let dataset = datasetOf(code)
            let kind = code.needs.isEmpty ? "四查 <span class=\"en\">record check</span>" : "三比对 <span class=\"en\">comparison</span>"
            out += "<tr id=\"code-\(code.rawValue)\"><td class=\"code\">\(code.rawValue)</td><td>\(H.chinese(code))</td><td>\(kind)</td>"
            out += "<td>\(dataset)</td>"
            if run.ran(code) {
                out += "<td class=\"n\">\(H.grouped(codeTotals[code] ?? 0))</td></tr>\n"
            } else {
                out += "<td class=\"n muted\">未运行 <span class=\"en\">not run</span></td></tr>\n"
            }
        }
        out += "<tr id=\"code-total\" class=\"total\"><td colspan=\"4\">合计 <span class=\"en\">total</span></td>"
        out += "<td class=\"n\">\(H.grouped(run.findings.count))</td></tr>\n</table>\n"

        let codes = FindingCode.allCases.sorted().filter(run.ran)
        let counties = sortedCounties(byCode.values.flatMap(\.keys))
        out += "<h3>按县区 <span class=\"en\">by county (first six digits of the region code); colour: share of the code's largest county</span></h3>\n"
        guard !counties.isEmpty else {
            out += "<p class=\"muted\">无问题 <span class=\"en\">no findings</span></p>\n</section>\n"
            return
        }
        out += "<table class=\"heat\">\n<tr><th>\(label("县区", "County"))</th>"
        for code in codes {
            out += "<th>\(H.chinese(code))<br/><span class=\"en\">\(code.rawValue.split(separator: "_").joined(separator: "_<wbr/>"))</span></th>"
        }
        out += "<th>\(label("合计", "Total"))</th></tr>\n"
        let columnMax = Dictionary(uniqueKeysWithValues: codes.map { ($0, byCode[$0]?.values.max() ?? 0) })
        for county in counties {
            out += "<tr><td>\(countyLabel(county))</td>"
            var total = 0
            for code in codes {
                let n = byCode[code]?[county] ?? 0
                total += n
                out += heatCell(n, of: columnMax[code] ?? 0)
            }
            out += "<td class=\"n total\">\(H.grouped(total))</td></tr>\n"
        }
        out += "<tr class=\"total\"><td>合计 <span class=\"en\">total</span></td>"
        for code in codes { out += "<td class=\"n\">\(H.grouped(codeTotals[code] ?? 0))</td>" }
        out += "<td class=\"n\">\(H.grouped(run.findings.count))</td></tr>\n</table>\n</section>\n"
    }

    /// The register a code's findings name (contract section 4).
    func datasetOf(_ code: FindingCode) -> String {
        switch code {
        case .idInvalid, .duplicateID: return "全部 <span class=\"en\">any</span>"
        case .idBirthMismatch, .idSexMismatch: return "户籍、学籍 <span class=\"en\">hukou, xueji</span>"
        case .chronicAbsence, .presentNotEnrolled, .schoolMismatch: return "在校生 <span class=\"en\">roster</span>"
        case .hukouNoXueji: return "户籍 <span class=\"en\">hukou</span>"
        case .xuejiDroppedOut, .xuejiNoHukou, .xuejiHukouInactive, .identityMismatch, .enrolledNotPresent:
            return "学籍 <span class=\"en\">xueji</span>"
        case .povertyChildNotInSchool, .povertyNoHukou: return "建档立卡 <span class=\"en\">poverty</span>"
        }
    }

    /// A count on a white-to-red scale by its share of `max`.
    func heatCell(_ n: Int, of max: Int) -> String {
        guard n > 0, max > 0 else { return "<td class=\"n zero\">0</td>" }
        let step = (n * 5 + max - 1) / max  // 1...5
        return "<td class=\"n h\(step)\">\(H.grouped(n))</td>"
    }

    mutating func colours() {
        out += "<section>\n" + heading("四、五色预警分布", "Five-colour levels per county")
        var perCounty: [String: [Int]] = [:]
        for c in run.cases { perCounty[SplitUnit.county.unit(region: c.regionCode, school: ""), default: [0, 0, 0, 0, 0]][c.level.rawValue] += 1 }
        let counties = sortedCounties(perCounty.keys)
        out += "<table class=\"levels\">\n<tr><th>\(label("县区", "County"))</th>"
        for level in RiskLevel.allCases {
            out += "<th><span class=\"chip l\(level.rawValue)\"></span>\(label(H.chinese(level), level.name))</th>"
        }
        out += "<th>\(label("合计", "Total"))</th><th>\(label("构成", "Share"))</th></tr>\n"
        var all = [0, 0, 0, 0, 0]
        for county in counties {
            let counts = perCounty[county]!
            for i in all.indices { all[i] += counts[i] }
            out += "<tr><td>\(countyLabel(county))</td>" + levelCells(counts) + "</tr>\n"
        }
        out += "<tr id=\"levels-total\" class=\"total\"><td>合计 <span class=\"en\">total</span></td>" + levelCells(all) + "</tr>\n"
        out += "</table>\n</section>\n"
    }

    /// Counts per level, their sum and a stacked bar.
    func levelCells(_ counts: [Int]) -> String {
        let total = counts.reduce(0, +)
        var cells = counts.map { "<td class=\"n\">\(H.grouped($0))</td>" }.joined() + "<td class=\"n\">\(H.grouped(total))</td>"
        cells += "<td><svg width=\"200\" height=\"14\" viewBox=\"0 0 200 14\">"
        if total > 0 {
            var x = 0, sum = 0
            for (i, n) in counts.enumerated() where n > 0 {
                sum += n
                let end = 200 * sum / total
                cells += "<rect x=\"\(x)\" y=\"0\" width=\"\(end - x)\" height=\"14\" fill=\"\(H.levelColours[i])\"/>"
                x = end
            }
        } else {
            cells += "<rect x=\"0\" y=\"0\" width=\"200\" height=\"14\" fill=\"#eeeeee\"/>"
        }
        return cells + "</svg></td>"
    }

    mutating func topOfCases() {
        let shown = Array(run.cases.prefix(H.topCases))
        out += "<section>\n" + heading("五、重点个案（前 \(H.topCases) 名）", "Top \(H.topCases) cases")
        out += "<p class=\"note\">共 \(H.grouped(run.cases.count)) 个，此处列前 \(shown.count) 个；完整名单见 cases.csv。"
        out += "<span class=\"en\">\(H.grouped(run.cases.count)) cases in all; the full ranked list is cases.csv.</span></p>\n"
        guard !shown.isEmpty else { out += "</section>\n"; return }
        out += "<table class=\"cases\">\n<tr><th>\(label("排名", "Rank"))</th><th>\(label("等级", "Level"))</th>"
        out += "<th>\(label("分数", "Score"))</th><th>\(label("身份证号", "ID (masked)"))</th><th>\(label("姓名", "Name"))</th>"
        out += "<th>\(label("年龄", "Age"))</th><th>\(label("户籍地区划", "Region"))</th><th>\(label("学校", "School"))</th>"
        out += "<th>\(label("年级", "Grade"))</th><th>\(label("监测类别", "Poverty category"))</th>"
        out += "<th>\(label("问题", "Findings"))</th><th>\(label("风险因素", "Factors"))</th></tr>\n"
        for c in shown {
            out += "<tr><td class=\"n\">\(c.rank)</td>"
            out += "<td><span class=\"chip l\(c.level.rawValue)\"></span>\(H.chinese(c.level)) <span class=\"en\">\(c.level.name)</span></td>"
            out += "<td class=\"n\">\(c.score)</td><td class=\"id\">\(e(H.mask(c.id.description)))</td><td>\(e(c.name))</td>"
            out += "<td class=\"n\">\(c.age)</td><td>\(e(c.regionCode))</td><td>\(e(c.schoolCode))</td>"
            out += "<td class=\"n\">\(c.grade.map(String.init) ?? "")</td>"
            out += "<td>\(c.povertyCategory.map { H.chinese($0) } ?? "")</td>"
            out += "<td class=\"wrap\">" + c.codes.map { "\(H.chinese($0))<span class=\"en\"> \($0.rawValue)</span>" }.joined(separator: "<br/>") + "</td>"
            out += "<td class=\"small\">" + run.model.list(c.reasons).map { "\(e($0.factor)) \($0.points < 0 ? "" : "+")\($0.points)" }.joined(separator: "<br/>") + "</td></tr>\n"
        }
        out += "</table>\n</section>\n"
    }

    mutating func quality() {
        out += "<section>\n" + heading("六、数据质量（按文件）", "Data quality per input file")
        var reasons = [[String: Int]](repeating: [:], count: run.files.count)
        for r in run.rejects where r.location.file < reasons.count { reasons[r.location.file][r.reason, default: 0] += 1 }
        out += "<table>\n<tr><th>\(label("登记册", "Register"))</th><th>\(label("文件", "File"))</th>"
        out += "<th>\(label("读入", "Rows read"))</th><th>\(label("接收", "Accepted"))</th><th>\(label("拒收", "Rejected"))</th>"
        out += "<th>\(label("拒收率", "Rejected %"))</th><th>\(label("主要拒收原因", "Top reject reasons"))</th></tr>\n"
        for (i, f) in run.files.enumerated() {
            let sorted = reasons[i].sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            var top = sorted.prefix(3).map { "\(e($0.key)) ×\(H.grouped($0.value))" }
            let others = sorted.dropFirst(3).reduce(0) { $0 + $1.value }
            if others > 0 { top.append("其他 <span class=\"en\">other reasons</span> ×\(H.grouped(others))") }
            out += "<tr><td>\(H.chinese(f.dataset)) <span class=\"en\">\(f.dataset.name)</span></td><td class=\"path\">\(e(f.path))</td>"
            out += "<td class=\"n\">\(H.grouped(f.rowsRead))</td><td class=\"n\">\(H.grouped(f.rowsAccepted))</td>"
            out += "<td class=\"n\">\(H.grouped(f.rowsRejected))</td><td class=\"n\">\(H.percent(f.rowsRejected, of: f.rowsRead))</td>"
            out += "<td class=\"small\">\(top.joined(separator: "<br/>"))</td></tr>\n"
        }
        out += "</table>\n</section>\n"
    }

    static let css = """
        body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
               color: #222; margin: 24px auto; max-width: 1220px; padding: 0 12px; font-size: 14px; line-height: 1.45; }
        h1 { font-size: 24px; margin: 0 0 12px; }
        h2 { font-size: 18px; border-bottom: 2px solid #c0392b; padding-bottom: 4px; margin-top: 28px; }
        h3 { font-size: 15px; margin: 18px 0 6px; }
        .en { color: #666; font-weight: normal; font-size: 0.85em; }
        th .en { font-size: 11px; }
        table { border-collapse: collapse; margin: 8px 0; }
        th, td { border: 1px solid #d6d6d6; padding: 3px 7px; vertical-align: top; }
        th { background: #f3f3f3; text-align: left; font-weight: 600; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr.total td { font-weight: 600; background: #fafafa; }
        .muted, td.zero { color: #aaa; }
        .note { color: #555; margin: 4px 0 8px; }
        .params th { font-size: 12px; }
        .tiles { display: flex; gap: 12px; margin: 14px 0; flex-wrap: wrap; }
        .tile { border: 1px solid #ddd; border-radius: 6px; padding: 8px 16px; min-width: 130px; background: #fcfcfc; }
        .tile b { display: block; font-size: 24px; }
        .tile.red b { color: #d7301f; }
        .code, td.id { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 12px; }
        .small { font-size: 12px; }
        .path { word-break: break-all; max-width: 380px; }
        .heat th { font-size: 12px; }
        .heat td.h1 { background: #fee8d8; } .heat td.h2 { background: #fcbba1; } .heat td.h3 { background: #fc8a6a; }
        .heat td.h4 { background: #ef3b2c; color: #fff; } .heat td.h5 { background: #a50f15; color: #fff; }
        .chip { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 4px; vertical-align: -1px; }
        .l0 { background: #d7301f; } .l1 { background: #f28e2b; } .l2 { background: #f2c200; } .l3 { background: #3a7bd5; } .l4 { background: #2ca25f; }
        .cases td { font-size: 13px; white-space: nowrap; } .cases th { white-space: nowrap; } .cases td.wrap { white-space: normal; }
        svg.funnel { display: block; margin: 6px 0; }
        svg .stage { stroke: #777; stroke-width: 1; } svg .absent { fill: #f4f4f4; stroke: #ccc; stroke-dasharray: 4 3; }
        svg .s0 { fill: #dbe9f6; } svg .s1 { fill: #c6dbef; } svg .s2 { fill: #9ecae1; } svg .s3 { fill: #fdd0a2; }
        svg .neck { fill: #eef3f8; }
        svg .rule { stroke: #ccc; stroke-dasharray: 4 3; }
        svg text { font-size: 14px; fill: #222; }
        svg .stage-name { text-anchor: end; font-weight: 600; } svg .stage-count { text-anchor: end; font-size: 12px; fill: #555; }
        svg .en { fill: #666; font-weight: normal; font-size: 12px; } svg .arrow { text-anchor: middle; fill: #9aa9b8; font-size: 12px; }
        svg .finding .code { fill: #666; font-size: 12px; } svg .finding .count { font-weight: 700; fill: #c0392b; }
        footer { margin-top: 32px; color: #777; font-size: 12px; border-top: 1px solid #ddd; padding-top: 8px; }
        @media print { body { margin: 0; max-width: none; } section { break-inside: avoid; } }

        """
}
