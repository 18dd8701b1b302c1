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
