import Testing
@testable import SiChaCore
import SiChaGenerate

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

    /// The eight-at-a-time reading of plain 18-character numbers, against the rules worked out
    /// here from the standard: valid IDs, and IDs with a character replaced by one near the digits
    /// in ASCII (`/`, `:`, `?`, `@`, `X`), a digit changed, or a date that does not exist.
    @Test func plainNumbersAgreeWithTheRules() {
        var random = SeededRandom(seed: 7)
        let asOf = CivilDate(year: 2024, month: 10, day: 15)!
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], checks = Array("10X98765432".utf8)
        let provinces: Set = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                              50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]
        func isDate(_ y: Int, _ m: Int, _ d: Int) -> Bool {
            let days = [31, (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            return (1...12).contains(m) && d >= 1 && d <= days[m - 1]
        }
        var valid = 0
        for _ in 0..<20_000 {
            var chars = Array(String(Int.random(in: 10...99, using: &random)).utf8)
            chars += (0..<4).map { _ in UInt8.random(in: 0x30...0x39, using: &random) }
            let y = Int.random(in: 1895...2030, using: &random), m = Int.random(in: 0...13, using: &random), d = Int.random(in: 0...31, using: &random)
            chars += padded(y, 4) + padded(m, 2) + padded(d, 2)
            chars += (0..<3).map { _ in UInt8.random(in: 0x30...0x39, using: &random) }
            chars.append(checks[zip(chars, weights).reduce(0) { $0 + Int($1.0 - 0x30) * $1.1 } % 11])
            switch Int.random(in: 0..<4, using: &random) {
            case 0: chars[Int.random(in: 0..<18, using: &random)] = Array("/:?@Xx".utf8).randomElement(using: &random)!
            case 1: chars[Int.random(in: 0..<18, using: &random)] = UInt8.random(in: 0x30...0x39, using: &random)
            default: break
            }
            let body = chars[0..<17], digits = body.map { Int($0) - 0x30 }
            let check = chars[17] == UInt8(ascii: "x") ? UInt8(ascii: "X") : chars[17]
            let number = digits.reduce(0) { $0 * 10 + $1 }
            let (year, month, day) = (number / 10_000_000 % 10000, number / 100_000 % 100, number / 1000 % 100)
            let expected = digits.allSatisfy { (0...9).contains($0) }
                && check == checks[zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11]
                && provinces.contains(digits[0] * 10 + digits[1]) && isDate(year, month, day)
                && year >= 1900 && year * 10000 + month * 100 + day <= Int(asOf.packed)
            let text = String(decoding: chars, as: UTF8.self)
            switch parse(text, asOf: asOf) {
            case .success(let id):
                #expect(expected && id.key == UInt64(number), "\(text)")
                #expect(id.description == text.uppercased())
                valid += 1
            case .failure:
                #expect(!expected, "\(text)")
            }
        }
        #expect(valid > 2_000)
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

/// `n` in decimal with zeros in front, `width` characters.
private func padded(_ n: Int, _ width: Int) -> [UInt8] {
    let digits = Array(String(n).utf8)
    return Array(repeating: UInt8(ascii: "0"), count: max(0, width - digits.count)) + digits
}

@Suite struct CodebookTests {
    /// Codes as written most often (read by a shortcut) and in the other spellings the contract
    /// allows (any case, Chinese, spaces around) read alike; near misses are not codes.
    @Test func statusesAndFlagsInEverySpelling() {
        func read<T>(_ text: String, _ parse: (UnsafeRawBufferPointer) -> T) -> T { Array(text.utf8).withUnsafeBytes(parse) }
        for text in ["normal", "Normal", "NORMAL", " normal ", "正常"] { #expect(read(text, HukouStatus.parse) == .normal, "\(text)") }
        for text in ["normals", "norma", "normax", "norm al", "", "nor\u{0}al"] { #expect(read(text, HukouStatus.parse) == nil, "\(text)") }
        #expect(read("moved_out", HukouStatus.parse) == .movedOut)
        for text in ["enrolled", "Enrolled", "\u{3000}enrolled", "在读"] { #expect(read(text, XuejiStatus.parse) == .enrolled, "\(text)") }
        for text in ["enrolle", "enrolled_", "enroled"] { #expect(read(text, XuejiStatus.parse) == nil, "\(text)") }
        for text in ["1", " 1", "y", "Y", "yes", "TRUE", "是"] { #expect(read(text, Codebook.flag), "\(text)") }
        for text in ["0", "", " ", "2", "/", "no", "否"] { #expect(!read(text, Codebook.flag), "\(text)") }
    }
}
