import Testing
@testable import SiChaCore

func parse(_ text: String, asOf: CivilDate = CivilDate(year: 2024, month: 10, day: 15)!) -> Result<IDNumber, IDProblem> {
    Array(text.utf8).withUnsafeBytes { IDNumber.parse($0, asOf: asOf) }
}

/// A valid ID: region, birth date `yyyymmdd` and a 3-digit sequence, with its check character.
func makeID(_ region: String = "530102", _ birth: String, _ sequence: String) -> String {
    let body = region + birth + sequence
    return body + String(UnicodeScalar(IDNumber.checkCharacter(digits: body.utf8.map { $0 - 48 })))
}

@Suite struct IDNumberTests {
    @Test func standardVector() throws {
        let id = try parse("11010519491231002X").get()
        #expect(id.description == "11010519491231002X")
        #expect(id.birthDate == CivilDate(year: 1949, month: 12, day: 31))
        #expect(id.sex == .female)
    }

    @Test(arguments: [
        ("  11010519491231002x ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
        ("11010519491231002ｘ", "11010519491231002X"),
        ("110105491231002", "11010519491231002X"),
        ("\u{3000}110105491231002", "11010519491231002X"),
    ])
    func normalisation(raw: String, normalised: String) throws {
        #expect(try parse(raw).get().description == normalised)
    }

    @Test(arguments: [
        ("5.30102E+17", "spreadsheet: scientific notation"),
        ("5.30102201203E+17", "spreadsheet: scientific notation"),
        ("530102201203050000", "spreadsheet: last digits zeroed by 15-digit precision"),
        ("11010519491231002", "length: 17 characters, expected 18 (or 15)"),
        ("1101051949123100211", "length: 19 characters, expected 18 (or 15)"),
        ("11010519491231002A", "characters: not 17 digits and a check character"),
        ("1101051949123A002X", "characters: not 17 digits and a check character"),
        ("110105194912310021", "checksum: check character 1, expected X"),
        ("991050194912310023", "province: 99 is not a province code"),
        ("110105194902300028", "date: birth date not a date"),
        ("110105203001010020", "date: birth date after the as-of date"),
        ("110105189912310024", "date: birth date before 1900"),
        ("110105491331002", "date: birth date not a date"),
    ])
    func invalidNumbersSayWhy(raw: String, detail: String) {
        switch parse(raw) {
        case .success(let id): Issue.record("\(raw) parsed as \(id)")
        case .failure(let problem): #expect(problem.description == detail)
        }
    }

    @Test func checkCharacterIsDerivedAndSexFollowsTheSeventeenthDigit() throws {
        let male = makeID("530102", "20120305", "011"), female = makeID("530102", "20120305", "022")
        #expect(try parse(male).get().sex == .male)
        #expect(try parse(female).get().sex == .female)
        #expect(try parse(male).get().key == 53010220120305011)
    }

    @Test func provinceCodesOfGBT2260() {
        let valid = [11, 15, 21, 23, 31, 37, 41, 46, 50, 54, 61, 65, 71, 81, 83]
        let invalid = [10, 16, 20, 24, 30, 38, 40, 47, 49, 55, 60, 66, 70, 72, 80, 84, 99]
        #expect(valid.allSatisfy(IDNumber.isProvince))
        #expect(!invalid.contains(where: IDNumber.isProvince))
    }

    @Test(arguments: [("2012-03-05", 20120305), ("20120305", 20120305), ("2012/03/05", 20120305), ("2012/3/5", 20120305),
                      (" 2012-03-05 ", 20120305), ("2012-3-5", 20120305), ("2012/12/5", 20121205)])
    func datesInThreeFormats(text: String, packed: Int32) {
        #expect(Array(text.utf8).withUnsafeBytes { CivilDate.parse($0) }?.packed == packed)
    }

    @Test(arguments: ["2012-02-30", "20121301", "2012.03.05", "12-03-05", "", "2012-03-05x", "2012-03/05", "2012--305", "2012-123-5",
                      "2012-03-"])
    func unreadableDates(text: String) {
        #expect(Array(text.utf8).withUnsafeBytes { CivilDate.parse($0) } == nil)
    }
}
