import SiChaIO

/// A valid resident ID number (公民身份号码, GB 11643-1999), normalised to 18 characters.
///
/// The 17 leading digits are packed into `key` (below 10^17, so 57 bits); the check character
/// is derived from them. Every table in sicha is keyed on `key`.
public struct IDNumber: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first 17 digits as one integer.
    public let key: UInt64

    public init(key: UInt64) { self.key = key }

    public static func < (a: IDNumber, b: IDNumber) -> Bool { a.key < b.key }

    /// The birth date in digits 7–14 (a real date: `parse` checked it).
    public var birthDate: CivilDate { CivilDate(packed: Int32(truncatingIfNeeded: key / 1000 % 100_000_000)) }

    /// The 17th digit is odd for a man, even for a woman.
    public var sex: Sex { key % 2 == 1 ? .male : .female }

    /// The 18-character form, check character included.
    public var description: String { withASCII { String(decoding: $0, as: UTF8.self) } }

    /// Calls `body` with the 18 ASCII characters of the number, without allocating.
    @inlinable
    public func withASCII<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R { withStackBytes(18, writtenBy: writeASCII, body) }

    /// Writes the 18 ASCII characters of the number at `out`.
    public func writeASCII(to out: UnsafeMutableRawPointer) {
        // Digits 0–7 and 8–15 as words; the check character from them read as binary (see `validASCII`).
        let low = key % 1_000_000_000
        let a = IDNumber.ascii(Int(key / 1_000_000_000)), b = IDNumber.ascii(Int(low / 10)), last = Int(low % 10)
        out.storeBytes(of: a, as: UInt64.self)
        out.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
        out.storeBytes(of: UInt8(truncatingIfNeeded: last) + 0x30, toByteOffset: 16, as: UInt8.self)
        out.storeBytes(of: IDNumber.checkCharacter(binary: IDNumber.binary(a) << 9 + IDNumber.binary(b) << 1 + last), toByteOffset: 17, as: UInt8.self)
    }

    /// The eight ASCII digits of `v` (below 10^8) as a word, the first in the lowest byte: halves,
    /// then quarters, then digits, each split in every lane at once by a multiplication.
    @inline(__always)
    static func ascii(_ v: Int) -> UInt64 {
        let x = UInt64(v / 10000) | UInt64(v % 10000) << 32  // (lanes of 32 bits, below 10^4)
        let hundreds = (x &* 5243) >> 19 & 0x0000_007F_0000_007F  // x / 100 for x below 43 699
        let y = hundreds | (x &- hundreds &* 100) << 16  // (lanes of 16 bits, below 100)
        let tens = (y &* 103) >> 10 & 0x000F_000F_000F_000F  // y / 10 for y below 179
        return (tens | (y &- tens &* 10) << 8) | 0x3030_3030_3030_3030
    }

    /// The ISO 7064 MOD 11-2 check character (ASCII) of 17 digit values (0–9).
    @inline(__always)
    public static func checkCharacter<C: Collection>(digits: C) -> UInt8 where C.Element == UInt8 {
        checkCharacter(binary: digits.reduce(0) { $0 &* 2 &+ Int($1) })
    }

    /// The check character of digits whose value read as a binary number is `binary`: the weight
    /// of digit i (from 0) is 2^(17 - i) mod 11, so the weighted sum is twice that value.
    @inline(__always)
    static func checkCharacter(binary: Int) -> UInt8 {
        let value = (12 - 2 * binary % 11) % 11
        return value == 10 ? UInt8(ascii: "X") : UInt8(truncatingIfNeeded: value) + 0x30
    }

    /// The common case without allocation: 18 ASCII characters that form a valid number.
    /// Nil for anything else, which the general path then explains.
    @inline(__always)
    private static func validASCII(_ raw: UnsafeRawBufferPointer, asOf: CivilDate) -> IDNumber? {
        // Digits 0–7 and 8–15 are read eight at a time, as words (the first character in the lowest byte).
        let a = raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), b = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        let last = raw[16] &- 0x30
        guard allDigits(a), allDigits(b), last < 10 else { return nil }
        let high = decimal(a), low = decimal(b)
        // The region (6 digits), birth date (8) and sequence (3) are taken apart without dividing
        // the whole number.
        let region = high / 100, ymd = high % 100 * 1_000_000 + low / 100
        var check = raw[17]
        if check == UInt8(ascii: "x") { check = UInt8(ascii: "X") }
        guard check == checkCharacter(binary: binary(a) << 9 + binary(b) << 1 + Int(last)), isProvince(region / 10000),
              let birth = CivilDate(year: ymd / 10000, month: ymd / 100 % 100, day: ymd % 100),
              birth.packed >= 1900_01_01, birth <= asOf else { return nil }
        return IDNumber(key: UInt64(high) * 1_000_000_000 + UInt64(low) * 10 + UInt64(last))
    }

    /// Whether the eight bytes of `w` are ASCII digits.
    @inline(__always)
    static func allDigits(_ w: UInt64) -> Bool {
        // High nibbles 3, and low nibbles at most 9 (adding 6 does not reach the high nibble).
        w & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030 && ((w & 0x0F0F_0F0F_0F0F_0F0F) &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == 0
    }

    /// The eight digits of `w` (see `allDigits`) as a number in base `base`: neighbouring digits,
    /// then pairs, then fours are joined by one multiplication each.
    @inline(__always)
    private static func number(_ w: UInt64, base: UInt64) -> Int {
        // (Shifts bind before multiplications in Swift.)
        var v = ((w & 0x0F0F_0F0F_0F0F_0F0F) &* (base << 8 | 1)) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* ((base * base) << 16 | 1)) >> 16
        v = ((v & 0x0000_FFFF_0000_FFFF) &* ((base * base * base * base) << 32 | 1)) >> 32
        return Int(truncatingIfNeeded: v)
    }

    @inline(__always) static func decimal(_ w: UInt64) -> Int { number(w, base: 10) }
    @inline(__always) static func binary(_ w: UInt64) -> Int { number(w, base: 2) }

    /// Province codes of GB/T 2260 that an ID may start with.
    public static func isProvince(_ code: Int) -> Bool {
        switch code {
        case 11...15, 21...23, 31...37, 41...46, 50...54, 61...65, 71, 81...83: return true
        default: return false
        }
    }

    /// Normalises and validates a raw ID field (section 2 of the contract).
    public static func parse(_ field: UnsafeRawBufferPointer, asOf: CivilDate) -> Result<IDNumber, IDProblem> {
        let raw = field.trimmingSpaces()
        if raw.isEmpty { return .failure(.empty) }
        if raw.count == 18, let id = validASCII(raw, asOf: asOf) { return .success(id) }
        // Normalise into at most 19 ASCII bytes: full-width digits and X become ASCII, x becomes X.
        var chars = [UInt8](); chars.reserveCapacity(19)
        var i = 0
        var length = 0
        while i < raw.count {
            var c = raw[i]
            if c == 0xEF, i + 2 < raw.count, raw[i + 1] == 0xBC, raw[i + 2] >= 0x90, raw[i + 2] <= 0x99 {
                c = raw[i + 2] - 0x90 + 0x30; i += 3
            } else if c == 0xEF, i + 2 < raw.count, raw[i + 1] == 0xBC, raw[i + 2] == 0xB8 {
                c = UInt8(ascii: "X"); i += 3
            } else if c == 0xEF, i + 2 < raw.count, raw[i + 1] == 0xBD, raw[i + 2] == 0x98 {
                c = UInt8(ascii: "X"); i += 3
            } else {
                if c == UInt8(ascii: "x") { c = UInt8(ascii: "X") }
                i += 1
                // Skip the continuation bytes of any other UTF-8 character: it counts as one.
                if c >= 0xC0 { while i < raw.count, raw[i] & 0xC0 == 0x80 { i += 1 } }
            }
            length += 1
            if chars.count < 19 { chars.append(c) }
        }
        func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
        let allDigits = chars.allSatisfy(isDigit)
        if !allDigits || length > 18 {
            let sci = chars.contains(UInt8(ascii: "E")) || chars.contains(UInt8(ascii: "e"))
            if sci, chars.allSatisfy({ isDigit($0) || $0 == 0x2E || $0 == 0x2B || $0 == 0x45 || $0 == 0x65 }) {
                return .failure(.scientificNotation)
            }
        }
        let body = length == 18 ? chars[0..<17] : chars[0..<min(chars.count, 15)]
        if length != 18 && length != 15 {
            return .failure(allDigits || length > 18 ? .length(length) : .characters)
        }
        guard body.allSatisfy(isDigit), length == 15 ? isDigit(chars[14]) : (isDigit(chars[17]) || chars[17] == UInt8(ascii: "X")) else {
            return .failure(.characters)
        }
        var digits = body.map { $0 - 0x30 }
        if length == 15 { digits.insert(contentsOf: [1, 9], at: 6) }
        let province = Int(digits[0]) * 10 + Int(digits[1])
        guard isProvince(province) else { return .failure(.province(province)) }
        let y = digits[6..<10].reduce(0) { $0 * 10 + Int($1) }
        let m = Int(digits[10]) * 10 + Int(digits[11])
        let d = Int(digits[12]) * 10 + Int(digits[13])
        guard let birth = CivilDate(year: y, month: m, day: d) else { return .failure(.date("not a date")) }
        guard birth.packed >= 1900_01_01 else { return .failure(.date("before 1900")) }
        guard birth <= asOf else { return .failure(.date("after the as-of date")) }
        if length == 18 {
            let expected = checkCharacter(digits: digits)
            if chars[17] != expected {
                if chars[15] == 0x30, chars[16] == 0x30, chars[17] == 0x30 { return .failure(.zeroedDigits) }
                return .failure(.checksum(found: chars[17], expected: expected))
            }
        }
        return .success(IDNumber(key: digits.reduce(0) { $0 * 10 + UInt64($1) }))
    }
}

/// Why an ID field is not a valid ID number. The description starts with the cause the contract names.
public enum IDProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case length(Int)
    case characters
    case checksum(found: UInt8, expected: UInt8)
    case province(Int)
    case date(String)
    case scientificNotation
    case zeroedDigits

    public var description: String {
        switch self {
        case .empty: return "empty"
        case .length(let n): return "length: \(n) characters, expected 18 (or 15)"
        case .characters: return "characters: not 17 digits and a check character"
        case .checksum(let found, let expected):
            return "checksum: check character \(Character(Unicode.Scalar(found))), expected \(Character(Unicode.Scalar(expected)))"
        case .province(let p): return "province: \(p < 10 ? "0" : "")\(p) is not a province code"
        case .date(let why): return "date: birth date \(why)"
        case .scientificNotation: return "spreadsheet: scientific notation"
        case .zeroedDigits: return "spreadsheet: last digits zeroed by 15-digit precision"
        }
    }
}

/// 性别 as recorded in a register.
public enum Sex: UInt8, Sendable {
    case male = 1, female = 2

    /// Reads `1`/`男`/`M` or `2`/`女`/`F` (any case, surrounding spaces); nil otherwise.
    public static func parse(_ field: UnsafeRawBufferPointer) -> Sex? {
        let f = field.trimmingSpaces()
        if f.count == 1 {
            switch f[0] {
            case UInt8(ascii: "1"), UInt8(ascii: "M"), UInt8(ascii: "m"): return .male
            case UInt8(ascii: "2"), UInt8(ascii: "F"), UInt8(ascii: "f"): return .female
            default: return nil
            }
        }
        if f.count == 3, f[0] == 0xE7, f[1] == 0x94, f[2] == 0xB7 { return .male }   // 男
        if f.count == 3, f[0] == 0xE5, f[1] == 0xA5, f[2] == 0xB3 { return .female } // 女
        return nil
    }

    public var code: String { self == .male ? "M" : "F" }
}
