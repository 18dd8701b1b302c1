import Foundation
import Testing
@testable import SiChaCore

/// A small set of registers written as English-header CSV files, run through the real reader and join.
struct World {
    var hukou: [String]? = nil
    var xueji: [String]? = nil
    var roster: [String]? = nil
    var poverty: [String]? = nil

    static func hukouRow(_ id: String, name: String = "张三", sex: String? = nil, birth: String? = nil,
                         household: String = "H1", region: String = "530102001001", status: String = "normal") -> String {
        [id, name, sex ?? sexOf(id), birth ?? birthOf(id), household, region, status].joined(separator: ",")
    }
    static func xuejiRow(_ id: String, status: String = "enrolled", grade: String = "5", school: String = "2153010001",
                         name: String = "张三", sex: String? = nil, birth: String? = nil, number: String? = nil,
                         returned: String = "") -> String {
        [number ?? "G" + id, id, name, sex ?? sexOf(id), birth ?? birthOf(id), school, "530102000000", grade, status, returned]
            .joined(separator: ",")
    }
    static func rosterRow(_ id: String, school: String = "2153010001", grade: String = "5", expected: String = "60",
                          absent: String = "0") -> String {
        [id, "张三", school, grade, expected, absent].joined(separator: ",")
    }
    static func povertyRow(_ id: String, household: String = "P1", category: String = "not_lifted", flags: String = ",,,,") -> String {
        [household, id, "张三", "530102001001", category, flags].joined(separator: ",")
    }

    static func sexOf(_ id: String) -> String { id.count == 18 && Int(String(Array(id)[16]))! % 2 == 1 ? "1" : "2" }
    static func birthOf(_ id: String) -> String { id.count == 18 ? String(Array(id)[6..<14]) : "" }

    func run(threshold: Double = 0.2) throws -> Verification {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let headers = [
            "id,name,sex,birth_date,household_id,region_code,status",
            "student_no,id,name,sex,birth_date,school_code,school_region_code,grade,status,returned",
            "id,name,school_code,grade,days_expected,days_absent",
            "household_id,id,name,region_code,category,disabled,left_behind,orphan,single_parent,relocated",
        ]
        var files: [InputFile] = []
        for (dataset, rows) in zip(Dataset.allCases, [hukou, xueji, roster, poverty]) {
            guard let rows else { continue }
            let path = folder.appendingPathComponent("\(dataset.name).csv").path
            try ([headers[dataset.rawValue]] + rows).map { $0 + "\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
            files.append(InputFile(dataset: dataset, path: path, index: files.count))
        }
        let parameters = RunParameters(asOf: CivilDate(year: 2024, month: 10, day: 15)!, schoolYear: 2024, absenceThreshold: threshold)
        let serial = try Verifier(parameters: parameters).run(files)
        // Read in chunks of 64 bytes on 3 threads, with findings and cases put in temporary files
        // two at a time: the same result.
        var chunked = Verifier(parameters: parameters, threads: 3)
        chunked.chunkSize = 64
        chunked.spillBudget = 2
        let parallel = try chunked.run(files)
        #expect(parallel.found == serial.found && parallel.rejects.map(\.location) == serial.rejects.map(\.location)
                && parallel.cases.map(\.id) == serial.cases.map(\.id), "the thread count changed the result")
        #expect(parallel.findings.map(\.text) == serial.findings.map(\.text) && parallel.cases.map(\.text) == serial.cases.map(\.text))
        #expect(parallel.children.map(\.id) == serial.children.map(\.id) && parallel.children.map(\.status) == serial.children.map(\.status))
        return serial
    }
}

extension Finding {
    var text: String { [id, name, regionCode, schoolCode, detail].joined(separator: "|") }
}

extension Case {
    var text: String {
        "\(rank) \(level) \(score) \(id) \(name) \(age) \(regionCode) \(schoolCode) \(grade ?? -1) \(String(describing: povertyCategory)) \(codes) \(reasons)"
    }
}

extension Verification {
    /// `CODE dataset line` of each finding, in output order.
    var found: [String] { findings.map { "\($0.code.rawValue) \($0.dataset.name) \($0.location.line)" } }
    func codes(_ code: FindingCode) -> [String] { found.filter { $0.hasPrefix(code.rawValue + " ") } }
}

/// Ten years old on 31 August 2024.
let child = makeID("530102", "20140305", "011")
let sibling = makeID("530102", "20150607", "022")
/// Sixteen on 31 August 2024: out of scope. Fifteen: in scope.
let sixteen = makeID("530102", "20080831", "031")
let fifteen = makeID("530102", "20080901", "041")

@Suite struct FindingTests {
    typealias W = World

    /// A register large enough to be walked in several parts gives the children of every part, in
    /// ID order, on any number of threads, and none when no one is of school age.
    @Test func thePartsOfTheWalkGiveTheChildrenInOrder() throws {
        for children in [0, 1, 700] {
            let rows = (0..<5000).map { i in
                W.xuejiRow(makeID("530102", i < children ? "2014\(String(format: "%02d%02d", 1 + i % 12, 1 + i % 28))" : "19800101",
                                  String(format: "%03d", i % 1000)))
            }
            let run = try World(xueji: rows).run()
            #expect(run.children.count == Set(rows.prefix(children)).count)
            #expect(run.children.map(\.id) == run.children.map(\.id).sorted())
        }
    }

    @Test func hukouNoXuejiAndItsNearMisses() throws {
        let run = try World(
            hukou: [W.hukouRow(child), W.hukouRow(sibling), W.hukouRow(sixteen), W.hukouRow(fifteen),
                    W.hukouRow(makeID("530102", "20120101", "051"), status: "moved_out")],
            xueji: [W.xuejiRow(sibling, status: "transferred_out")]).run()
        #expect(run.codes(.hukouNoXueji) == ["HUKOU_NO_XUEJI hukou 2", "HUKOU_NO_XUEJI hukou 3", "HUKOU_NO_XUEJI hukou 5"])
        #expect(run.findings.first { $0.location.line == 3 }?.detail == "last xueji record: transferred_out, grade 5")
    }

    @Test func accountedForByActiveStatusOrGraduatingGradeNine() throws {
        let a = makeID("530102", "20120101", "011"), b = makeID("530102", "20120101", "021"), c = makeID("530102", "20120101", "031")
        let run = try World(hukou: [W.hukouRow(a), W.hukouRow(b), W.hukouRow(c), W.hukouRow(child)],
                            xueji: [W.xuejiRow(a, status: "suspended"), W.xuejiRow(b, status: "graduated", grade: "9"),
                                    W.xuejiRow(c, status: "graduated", grade: "6"), W.xuejiRow(child, status: "送教上门")]).run()
        #expect(run.codes(.hukouNoXueji) == ["HUKOU_NO_XUEJI hukou 4"])
    }

    @Test func recordedDropoutIsNotAlsoHukouNoXueji() throws {
        let run = try World(hukou: [W.hukouRow(child), W.hukouRow(sixteen)],
                            xueji: [W.xuejiRow(child, status: "transferred_out"), W.xuejiRow(child, status: "dropped_out", grade: "8"),
                                    W.xuejiRow(sixteen, status: "dropped_out")]).run()
        #expect(run.codes(.xuejiDroppedOut) == ["XUEJI_DROPPED_OUT xueji 2"])
        #expect(run.codes(.hukouNoXueji).isEmpty)
    }

    @Test func droppedOutButBackInSchoolIsAccountedFor() throws {
        let run = try World(xueji: [W.xuejiRow(child, status: "dropped_out"), W.xuejiRow(child, status: "enrolled", returned: "1")]).run()
        #expect(run.codes(.xuejiDroppedOut).isEmpty)
        #expect(!run.ran(.hukouNoXueji))
    }

    @Test func xuejiAgainstHukouStatus() throws {
        let noHukou = makeID("410102", "20120101", "011"), inactive = makeID("530102", "20120101", "021")
        let movedOnly = makeID("530102", "20120101", "031"), mixed = makeID("530102", "20120101", "041")
        let run = try World(
            hukou: [W.hukouRow(inactive, status: "deceased"), W.hukouRow(inactive, status: "注销"),
                    W.hukouRow(movedOnly, status: "moved_out"), W.hukouRow(mixed, status: "cancelled"), W.hukouRow(mixed)],
            xueji: [W.xuejiRow(noHukou), W.xuejiRow(inactive), W.xuejiRow(movedOnly), W.xuejiRow(mixed),
                    W.xuejiRow(makeID("410102", "20120101", "051"), status: "graduated")]).run()
        #expect(run.codes(.xuejiNoHukou) == ["XUEJI_NO_HUKOU xueji 2"])
        #expect(run.codes(.xuejiHukouInactive) == ["XUEJI_HUKOU_INACTIVE xueji 3"])
    }

    @Test func identityMismatchComparesWithTheNormalHukouRecord() throws {
        let a = makeID("530102", "20120101", "011"), b = makeID("530102", "20120101", "021"), c = makeID("530102", "20120101", "031")
        let run = try World(
            hukou: [W.hukouRow(a, name: "王小明"), W.hukouRow(b, name: "李四", status: "moved_out"), W.hukouRow(c)],
            xueji: [W.xuejiRow(a, name: "王晓明"), W.xuejiRow(b, name: "李思"), W.xuejiRow(c, name: " 张三 ")]).run()
        #expect(run.codes(.identityMismatch) == ["IDENTITY_MISMATCH xueji 2"])
        #expect(run.findings.first { $0.code == .identityMismatch }?.detail == "name 王晓明/王小明 (xueji/hukou)")
    }

    @Test func recordChecksOfBirthDateAndSex() throws {
        let run = try World(hukou: [W.hukouRow(child, sex: "女"), W.hukouRow(sibling, birth: "2015/06/07")],
                            xueji: [W.xuejiRow(child, sex: "M", birth: "2014-03-06"), W.xuejiRow(sibling, sex: "", birth: "")]).run()
        #expect(run.codes(.idSexMismatch) == ["ID_SEX_MISMATCH hukou 2", "ID_SEX_MISMATCH xueji 3"])
        #expect(run.codes(.idBirthMismatch) == ["ID_BIRTH_MISMATCH xueji 2", "ID_BIRTH_MISMATCH xueji 3"])
    }

    /// A birth date written `YYYY-MM-DD` is compared with the ID's digits without being read as a
    /// date; any other spelling is read as one. Each differing digit group is a mismatch.
    @Test func birthDatesWrittenAsInTheIDOrOtherwise() throws {
        let births = ["2014-03-05", " 2014-03-05", "2014-3-5", "20140305", "2014/03/05",      // the ID's: no finding
                      "2015-03-05", "2014-04-05", "2014-03-06", "2014-03-0x", "2014-02-30", "2014_03_05"]
        let run = try World(xueji: births.map { W.xuejiRow(child, birth: $0) }).run()
        #expect(run.codes(.idBirthMismatch) == (7...12).map { "ID_BIRTH_MISMATCH xueji \($0)" })
        #expect(run.findings.filter { $0.code == .idBirthMismatch }.map(\.detail) == [
            "birth_date 2015-03-05; ID says 2014-03-05", "birth_date 2014-04-05; ID says 2014-03-05",
            "birth_date 2014-03-06; ID says 2014-03-05", "birth_date empty or unreadable; ID says 2014-03-05",
            "birth_date empty or unreadable; ID says 2014-03-05", "birth_date empty or unreadable; ID says 2014-03-05"])
    }

    @Test func invalidIDsTakePartInNoComparison() throws {
        let typo = String(child.dropLast()) + (child.last == "1" ? "2" : "1")
        let run = try World(hukou: [W.hukouRow(typo)], xueji: [W.xuejiRow("", number: "J123456789012345678"),
                                                               W.xuejiRow("5.30102E+17")]).run()
        #expect(run.found == ["ID_INVALID hukou 2", "ID_INVALID xueji 3"])
        #expect(run.findings.map(\.id) == [typo, "5.30102E+17"])
        #expect(run.rejects.isEmpty)
    }

    @Test func duplicatesPerRegister() throws {
        let run = try World(
            hukou: [W.hukouRow(child), W.hukouRow(child), W.hukouRow(sibling), W.hukouRow(sibling, status: "moved_out")],
            xueji: [W.xuejiRow(child), W.xuejiRow(child, status: "suspended", school: "2153010002"),
                    W.xuejiRow(sibling), W.xuejiRow(sibling, status: "transferred_out")],
            roster: [W.rosterRow(child), W.rosterRow(child, school: "2153010002"), W.rosterRow(sibling),
                     W.rosterRow(sixteen), W.rosterRow(sixteen)],
            poverty: [W.povertyRow(child, household: "P1"), W.povertyRow(child, household: "P2"),
                      W.povertyRow(sibling, household: "P3"), W.povertyRow(sibling, household: "P3")]).run()
        #expect(run.codes(.duplicateID) == [
            "DUPLICATE_ID hukou 2", "DUPLICATE_ID hukou 3", "DUPLICATE_ID xueji 2", "DUPLICATE_ID xueji 3",
            "DUPLICATE_ID roster 2", "DUPLICATE_ID roster 3", "DUPLICATE_ID roster 5", "DUPLICATE_ID roster 6",
            "DUPLICATE_ID poverty 2", "DUPLICATE_ID poverty 3",
        ])
    }

    @Test func duplicatesAmongAdultsKeptOnlyAsKeys() throws {
        let adult = makeID("530102", "19800101", "011"), other = makeID("530102", "19810101", "021")
        let run = try World(hukou: [W.hukouRow(adult, name: "甲"), W.hukouRow(other), W.hukouRow(other, status: "moved_out"),
                                    W.hukouRow(adult, name: "乙", region: "530103001001")]).run()
        #expect(run.codes(.duplicateID) == ["DUPLICATE_ID hukou 2", "DUPLICATE_ID hukou 5"])
        #expect(run.findings.map(\.name) == ["甲", "乙"])
        #expect(run.findings.map(\.regionCode) == ["530102001001", "530103001001"])
    }

    /// Adults that only the poverty register names have their hukou records kept as keys: whether
    /// they have one at all, of any status, decides POVERTY_NO_HUKOU. (Their poverty records wait
    /// on disk while the hukou register is read; those without a hukou record and those in two
    /// households come back.)
    @Test func povertyAdultsKeptOnlyAsKeys() throws {
        let normal = makeID("530102", "19800101", "011"), deceased = makeID("530102", "19810101", "021")
        let twice = makeID("530102", "19820101", "031"), none = makeID("530102", "19830101", "041")
        let movedOut = makeID("530102", "19840101", "051"), student = makeID("530102", "20050101", "061")
        let households = makeID("530102", "19850101", "071")
        let run = try World(hukou: [W.hukouRow(normal), W.hukouRow(deceased, status: "deceased"), W.hukouRow(twice, name: "甲"),
                                    W.hukouRow(twice, name: "乙"), W.hukouRow(movedOut, status: "moved_out"), W.hukouRow(households)],
                            xueji: [W.xuejiRow(student, status: "graduated", grade: "9")],
                            poverty: [W.povertyRow(normal), W.povertyRow(deceased), W.povertyRow(twice), W.povertyRow(none),
                                      W.povertyRow(movedOut), W.povertyRow(student), W.povertyRow(households, household: "P1"),
                                      W.povertyRow(households, household: "P2")]).run()
        #expect(run.codes(.povertyNoHukou) == ["POVERTY_NO_HUKOU poverty 5", "POVERTY_NO_HUKOU poverty 7"])
        #expect(run.codes(.duplicateID) == ["DUPLICATE_ID hukou 4", "DUPLICATE_ID hukou 5", "DUPLICATE_ID poverty 8", "DUPLICATE_ID poverty 9"])
        #expect(run.findings.filter { $0.code == .duplicateID }.map(\.name) == ["甲", "乙", "张三", "张三"])
    }

    @Test func chronicAbsenceAtTheThresholdNotBelow() throws {
        let typo = "530102201403050119"
        let run = try World(roster: [W.rosterRow(child, expected: "50", absent: "10"), W.rosterRow(sibling, expected: "50", absent: "9"),
                                     W.rosterRow(sixteen, expected: "0", absent: "0"), W.rosterRow(typo, expected: "10", absent: "5")]).run()
        #expect(run.codes(.chronicAbsence) == ["CHRONIC_ABSENCE roster 2", "CHRONIC_ABSENCE roster 5"])
        #expect(run.cases.map(\.id.description) == [child])
    }

    @Test func xuejiAgainstRoster() throws {
        let present = makeID("530102", "20120101", "011"), elsewhere = makeID("530102", "20120101", "021")
        let noXueji = makeID("530102", "20120101", "031"), suspended = makeID("530102", "20120101", "041")
        let run = try World(
            xueji: [W.xuejiRow(child), W.xuejiRow(present), W.xuejiRow(elsewhere, school: "3153010009"),
                    W.xuejiRow(elsewhere, status: "transferred_out"), W.xuejiRow(suspended, status: "suspended")],
            roster: [W.rosterRow(present), W.rosterRow(elsewhere), W.rosterRow(noXueji), W.rosterRow(suspended)]).run()
        #expect(run.codes(.enrolledNotPresent) == ["ENROLLED_NOT_PRESENT xueji 2"])
        #expect(run.codes(.schoolMismatch) == ["SCHOOL_MISMATCH roster 3"])
        #expect(run.codes(.presentNotEnrolled) == ["PRESENT_NOT_ENROLLED roster 4"])
    }

    @Test func povertyChildren() throws {
        let enrolledAbsent = makeID("530102", "20120101", "011"), fine = makeID("530102", "20120101", "021")
        let run = try World(
            hukou: [W.hukouRow(child), W.hukouRow(enrolledAbsent), W.hukouRow(fine), W.hukouRow(sixteen)],
            xueji: [W.xuejiRow(enrolledAbsent), W.xuejiRow(fine)],
            roster: [W.rosterRow(fine)],
            poverty: [W.povertyRow(child, flags: ",1,,,"), W.povertyRow(enrolledAbsent), W.povertyRow(fine),
                      W.povertyRow(sixteen), W.povertyRow(sibling)]).run()
        #expect(run.codes(.povertyChildNotInSchool) == ["POVERTY_CHILD_NOT_IN_SCHOOL poverty 2", "POVERTY_CHILD_NOT_IN_SCHOOL poverty 3",
                                                        "POVERTY_CHILD_NOT_IN_SCHOOL poverty 6"])
        #expect(run.codes(.povertyNoHukou) == ["POVERTY_NO_HUKOU poverty 6"])
        // A poverty child out of school outranks a child who is only enrolled and absent from the roster.
        #expect(run.cases.first?.id.description == child)
        #expect(run.cases.first.map { run.model.list($0.reasons).map(\.factor).contains("left_behind") } == true)
    }

    @Test func comparisonsRunOnlyWithTheirDatasets() throws {
        let run = try World(xueji: [W.xuejiRow(child)], roster: [W.rosterRow(sibling)]).run()
        #expect(run.ran(.enrolledNotPresent) && run.ran(.presentNotEnrolled) && run.ran(.xuejiDroppedOut))
        #expect(!run.ran(.hukouNoXueji) && !run.ran(.xuejiNoHukou) && !run.ran(.povertyChildNotInSchool))
        #expect(run.found == ["ENROLLED_NOT_PRESENT xueji 2", "PRESENT_NOT_ENROLLED roster 2"])
    }

    @Test func rejectsKeepTheAccounting() throws {
        let run = try World(hukou: [W.hukouRow(child), "a,b", W.hukouRow(sibling, status: "alive"), W.hukouRow(sixteen, name: ""),
                                    W.hukouRow("", name: "无号")],
                            xueji: [W.xuejiRow(child, grade: "10"), W.xuejiRow(sibling, number: "G" + sibling).replacingOccurrences(of: sibling + ",", with: ",")]).run()
        #expect(run.rejects.map(\.reason) == ["field count 2, header has 7", "unreadable status", "missing required value: name",
                                               "missing required value: id", "unreadable grade", "missing required value: id"])
        #expect(run.files.allSatisfy { $0.rowsRead == $0.rowsAccepted + $0.rowsRejected })
        #expect(run.files.map(\.rowsAccepted) == [1, 0])
    }
}
