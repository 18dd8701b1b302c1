import SiChaGenerate
import Testing
@testable import SiChaCore

@Suite struct RankingTests {
    typealias W = World

    @Test func aPovertyChildOutranksAnOtherwiseEqualChild() throws {
        let a = makeID("530102", "20120101", "011"), b = makeID("530102", "20120101", "021")
        let run = try World(hukou: [W.hukouRow(a), W.hukouRow(b)], xueji: [], poverty: [W.povertyRow(b, category: "lifted")]).run()
        #expect(run.cases.map(\.id.description) == [b, a])
        let cases = Array(run.cases)
        #expect(cases[0].score > cases[1].score)
    }

    @Test func tiesGoByRegionCodeThenID() throws {
        let a = makeID("530102", "20120101", "011"), b = makeID("530102", "20120101", "021"), c = makeID("530102", "20120101", "031")
        let run = try World(hukou: [W.hukouRow(c, region: "530102001002"), W.hukouRow(b, region: "530102001001"),
                                    W.hukouRow(a, region: "530102001002")], xueji: []).run()
        #expect(Set(run.cases.map(\.score)).count == 1)
        #expect(run.cases.map(\.id.description) == [b, a, c])
        #expect(run.cases.map(\.rank) == [1, 2, 3])
    }

    /// The number cases are sorted by first never contradicts the ranking: of two cases whose
    /// numbers differ, the smaller ranks first (region codes of any bytes, scores out of 0–100 too),
    /// and a list sorted with it is in the ranking's order.
    @Test func theRankPrefixAgreesWithTheRanking() {
        var random = SeededRandom(seed: 11)
        let bytes: [UInt8] = Array("0123456789".utf8) + [0x20, 0x2D, 0x2F, 0x3A, 0x41, 0x61, 0xE4, 0xB8, 0x0A]
        let cases = (0..<600).map { i in
            let length = [0, 1, 6, 9, 12, 12, 12, 14, 15, 20].randomElement(using: &random)!
            var region = (0..<length).map { _ in UInt8.random(in: 0x30...0x39, using: &random) }
            if !region.isEmpty && random.next() % 3 == 0 { region[Int(random.next() % UInt64(region.count))] = bytes.randomElement(using: &random)! }
            if random.next() % 4 == 0 { region = Array("530102001002".utf8) }
            return Case(level: .blue, score: [-5, 0, 40, 40, 40, 75, 100, 300].randomElement(using: &random)!,
                        id: IDNumber(key: 53010220120101000 + UInt64(i % 97)), name: "", age: 10,
                        regionCode: String(decoding: region, as: UTF8.self), schoolCode: "", grade: nil, povertyCategory: nil,
                        codeSet: [], reasons: RiskReasons(factors: 0, absencePoints: 0, cap: 0))
        }
        for a in cases {
            for b in cases where Case.rankPrefix(a) < Case.rankPrefix(b) {
                #expect(Case.ranksBefore(a, b) && !Case.ranksBefore(b, a), "\(a.score) \(a.regionCode) against \(b.score) \(b.regionCode)")
            }
        }
        let list = SpillList<Case>(budget: 1 << 20, by: Case.ranksBefore, prefix: Case.rankPrefix)
        list.append(contentsOf: cases)
        list.finish()
        let expected = cases.sorted(by: Case.ranksBefore)
        #expect(list.map { "\($0.score) \($0.regionCode) \($0.id)" } == expected.map { "\($0.score) \($0.regionCode) \($0.id)" })
    }

    @Test func reasonsAddUpToTheScoreAndTheCapSaysSo() {
        var facts = RiskFacts()
        facts.codes = [.povertyChildNotInSchool, .hukouNoXueji, .chronicAbsence]
        facts.category = .notLifted
        facts.groups = [.orphan, .disabled]
        facts.absenceRate = 0.5
        let model = RiskModel.standard
        let reasons = model.list(model.reasons(facts))
        #expect(reasons.map(\.factor) == ["poverty_child_not_in_school", "hukou_no_xueji", "chronic_absence", "absence_rate",
                                          "category_not_lifted", "orphan", "disabled", "cap"])
        #expect(reasons.first { $0.factor == "absence_rate" }?.points == 10)
        #expect(model.score(model.reasons(facts)) == 100)
        #expect(reasons.reduce(0) { $0 + $1.points } == 100)
        facts = RiskFacts()
        facts.codes = [.enrolledNotPresent]
        #expect(model.score(model.reasons(facts)) == 25)
        #expect(model.level(25) == .blue && model.level(30) == .yellow && model.level(60) == .red && model.level(14) == .green)
    }

    @Test func everyCaseOfARunHasReasonsThatAddUp() throws {
        let run = try World(hukou: [W.hukouRow(child), W.hukouRow(sibling)],
                            xueji: [W.xuejiRow(sibling, status: "dropped_out", grade: "8", returned: "1")],
                            poverty: [W.povertyRow(child, flags: "1,1,1,1,1")]).run()
        #expect(run.cases.count == 2)
        for c in run.cases {
            #expect(run.model.list(c.reasons).reduce(0) { $0 + $1.points } == c.score)
            #expect(c.level == RiskModel.standard.level(c.score))
        }
    }

    @Test func codesAreOrderedByTheirText() {
        #expect(FindingCode.allCases.sorted().map(\.rawValue) == FindingCode.allCases.map(\.rawValue).sorted())
    }

    @Test func ledgerStatusesOfSchoolAgeChildren() throws {
        let inSchool = makeID("530102", "20120101", "011"), done = makeID("530102", "20090101", "021")
        let moved = makeID("530102", "20120101", "031")
        let run = try World(hukou: [W.hukouRow(child), W.hukouRow(inSchool), W.hukouRow(done), W.hukouRow(moved, status: "moved_out"),
                                    W.hukouRow(sixteen)],
                            xueji: [W.xuejiRow(inSchool), W.xuejiRow(done, status: "graduated", grade: "9"),
                                    W.xuejiRow(sibling, status: "dropped_out")]).run()
        let statuses = Dictionary(uniqueKeysWithValues: run.children.map { ($0.id.description, $0.status) })
        #expect(statuses == [child: .suspectedDropout, inSchool: .inSchool, done: .completed, moved: .notAccounted, sibling: .droppedOut])
    }
}
