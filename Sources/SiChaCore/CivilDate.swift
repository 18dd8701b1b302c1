import SiChaIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A calendar date without time zone, packed as `yyyymmdd` so that it compares and hashes as an integer.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The date as the integer `yyyymmdd`.
    public let packed: Int32

    public var year: Int { Int(packed / 10000) }
    public var month: Int { Int(packed / 100 % 100) }
    public var day: Int { Int(packed % 100) }

    /// A real calendar date, or nil (month 13, 30 February, year 0...).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= CivilDate.daysIn(month: month, year: year) else { return nil }
        packed = Int32(year * 10000 + month * 100 + day)
    }

    /// A date known to be real, as `yyyymmdd`.
    init(packed: Int32) { self.packed = packed }

    public static func < (a: CivilDate, b: CivilDate) -> Bool { a.packed < b.packed }

    @inline(__always)
    static func daysIn(month: Int, year: Int) -> Int {
        if month == 2 { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28 }
        // 31 days in the odd months up to July and the even ones from August.
        return 30 + (month ^ month >> 3) & 1
    }

    /// Calls `body` with the 10 ASCII characters of `YYYY-MM-DD`, without allocating.
    @inlinable
    public func withASCII<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R { withStackBytes(10, writtenBy: writeASCII, body) }

    /// Writes the 10 ASCII characters of `YYYY-MM-DD` at `out`.
    public func writeASCII(to out: UnsafeMutableRawPointer) {
        let digits = IDNumber.ascii(Int(packed))  // (the year's first digit in the lowest byte)
        out.storeBytes(of: digits & 0xFFFF_FFFF | 0x2D << 32 | (digits >> 32 & 0xFFFF) << 40 | 0x2D << 56, as: UInt64.self)
        out.storeBytes(of: UInt16(truncatingIfNeeded: digits >> 48), toByteOffset: 8, as: UInt16.self)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// Whole years of age on `date` for someone born on `self`.
    public func age(on date: CivilDate) -> Int {
        date.year - year - ((date.month, date.day) < (month, day) ? 1 : 0)
    }

    /// `YYYY-MM-DD` (no spaces) as the number yyyymmdd, not checked to be a date; nil for anything
    /// else. The eight digits are read as one word.
    @inline(__always)
    static func dashed(_ f: UnsafeRawBufferPointer) -> Int? {
        guard f.count == 10, f[4] == UInt8(ascii: "-"), f[7] == UInt8(ascii: "-") else { return nil }
        let w = UInt64(f.loadUnaligned(as: UInt32.self)) | UInt64(f.loadUnaligned(fromByteOffset: 5, as: UInt16.self)) << 32
            | UInt64(f.loadUnaligned(fromByteOffset: 8, as: UInt16.self)) << 48
        return IDNumber.allDigits(w) ? IDNumber.decimal(w) : nil
    }

    /// Reads `YYYY-MM-DD`, `YYYYMMDD` or `YYYY/MM/DD` (month and day may have one digit when separated),
    /// with surrounding spaces. Nil for anything else or for a date that does not exist.
    public static func parse(_ field: UnsafeRawBufferPointer) -> CivilDate? {
        let f = field.trimmingSpaces()
        @inline(__always) func allDigits(_ range: Range<Int>) -> Bool {
            for i in range where f[i] &- 0x30 >= 10 { return false }
            return true
        }
        // `YYYY-MM-DD` first: most dates are written so.
        if let v = dashed(f) { return CivilDate(year: v / 10000, month: v / 100 % 100, day: v % 100) }
        guard f.count >= 8, f.count <= 10, allDigits(0..<4) else { return nil }
        let year = f.decimal(0..<4)
        if f.count == 8, allDigits(4..<8) {
            return CivilDate(year: year, month: f.decimal(4..<6), day: f.decimal(6..<8))
        }
        // YYYY-M[M]-D[D] or YYYY/M[M]/D[D], the same separator twice.
        let separator = f[4]
        guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: "/") else { return nil }
        var parts = (0, 0), part = 0, digits = 0
        for byte in f[5...] {
            if byte == separator {
                guard part == 0, digits > 0 else { return nil }
                part = 1; digits = 0
            } else if byte &- 0x30 < 10, digits < 2 {
                if part == 0 { parts.0 = parts.0 * 10 + Int(byte &- 0x30) } else { parts.1 = parts.1 * 10 + Int(byte &- 0x30) }
                digits += 1
            } else {
                return nil
            }
        }
        guard part == 1, digits > 0 else { return nil }
        return CivilDate(year: year, month: parts.0, day: parts.1)
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes without leading and trailing ASCII spaces, tabs and ideographic spaces (U+3000).
    @inline(__always)
    public func trimmingSpaces() -> UnsafeRawBufferPointer {
        guard let base = baseAddress, count > 0 else { return self }
        // Most fields start and end with neither a space, a tab nor a byte of U+3000 (E3 80 80).
        let first = base.load(as: UInt8.self), last = base.load(fromByteOffset: count - 1, as: UInt8.self)
        if first > 0x20 && first != 0xE3 && last > 0x20 && last != 0x80 { return self }
        return trimmed()
    }

    @inline(never)
    private func trimmed() -> UnsafeRawBufferPointer {
        guard let base = baseAddress else { return self }
        var lo = 0, hi = count
        while lo < hi {
            if self[lo] == 0x20 || self[lo] == 0x09 { lo += 1 }
            else if hi - lo >= 3, self[lo] == 0xE3, self[lo + 1] == 0x80, self[lo + 2] == 0x80 { lo += 3 }
            else { break }
        }
        while hi > lo {
            if self[hi - 1] == 0x20 || self[hi - 1] == 0x09 { hi -= 1 }
            else if hi - lo >= 3, self[hi - 3] == 0xE3, self[hi - 2] == 0x80, self[hi - 1] == 0x80 { hi -= 3 }
            else { break }
        }
        return UnsafeRawBufferPointer(start: base + lo, count: hi - lo)
    }

    /// The decimal value of the ASCII digits in `range` (the caller has checked they are digits).
    func decimal(_ range: Range<Int>) -> Int {
        var value = 0
        for i in range { value = value &* 10 &+ Int(self[i] &- 0x30) }
        return value
    }

    /// Whether the bytes, ASCII-lowercased, equal `text`.
    public func equalsIgnoringCase(_ text: StaticString) -> Bool {
        guard count == text.utf8CodeUnitCount else { return false }
        let other = text.utf8Start
        // Most codes are written as they are listed.
        if count == 0 || memcmp(baseAddress!, other, count) == 0 { return true }
        for i in 0..<count {
            var a = self[i]
            if a >= 0x41 && a <= 0x5A { a |= 0x20 }
            if a != other[i] { return false }
        }
        return true
    }
}
