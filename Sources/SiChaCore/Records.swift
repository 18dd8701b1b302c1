import SiChaIO

/// Where a record starts: the input file (in run order) and the 1-based physical line.
public struct Location: Hashable, Comparable, Sendable {
    public let packed: UInt64
    public init(file: Int, line: Int) { packed = UInt64(file) << 44 | UInt64(line) }
    init(packed: UInt64) { self.packed = packed }
    public var file: Int { Int(packed >> 44) }
    public var line: Int { Int(packed & (1 << 44 - 1)) }
    public static func < (a: Location, b: Location) -> Bool { a.packed < b.packed }
}

/// A field's text: kept in the text arena of the file it came from or, for a code of 1 to 17
/// digits (region, school and household codes: most of the text of the registers), held in the
/// reference itself.
public struct TextRef: Sendable {
    static let offsetShift: UInt64 = 21
    static let inline: UInt64 = 1 << 63
    let packed: UInt64
    init(packed: UInt64) { self.packed = packed }
    init(offset: Int, count: Int) { packed = UInt64(offset) << TextRef.offsetShift | UInt64(count) }
    var isInline: Bool { packed & TextRef.inline != 0 }
    var offset: Int { Int(packed >> TextRef.offsetShift) }
    var count: Int { Int(packed & (1 << 21 - 1)) }

    /// The same text after `bytes` more bytes were put in front of its arena.
    func moved(by bytes: Int) -> TextRef { isInline ? self : TextRef(packed: packed + UInt64(bytes) << TextRef.offsetShift) }

    /// 1 to 17 ASCII digits as their value and count, packed (never 0); nil for anything else.
    static func digits(_ text: UnsafeRawBufferPointer) -> UInt64? {
        guard (1...17).contains(text.count) else { return nil }
        // (At most 17 digits cannot overflow: wrapping arithmetic spares a checked multiply a digit.)
        var value: UInt64 = 0
        for byte in text {
            guard byte &- 0x30 < 10 else { return nil }
            value = value &* 10 &+ UInt64(byte &- 0x30)
        }
        return value | UInt64(text.count) << 57
    }
}

extension Array where Element: FixedWidthInteger {
    /// Appends `count` elements that `body` writes, every one, straight into the array's new room
    /// (appending zeros to write over costs a loop over them, a buffer a copy, and appending a
    /// buffer of a few bytes twice the instructions).
    @inline(__always)
    mutating func append(count: Int, _ body: (UnsafeMutableBufferPointer<Element>) -> Void) {
        guard count > 0 else { return }
        append(addingCapacity: count) { out in
            out.withUnsafeMutableBufferPointer { room, initialized in
                body(UnsafeMutableBufferPointer(rebasing: room[..<count]))
                initialized = count
            }
        }
    }
}

/// The text fields of one file's records, stored once, end to end.
public struct TextArena: Sendable {
    private(set) var bytes: [UInt8] = []

    mutating func add(_ field: UnsafeRawBufferPointer) -> TextRef {
        let f = field.trimmingSpaces()
        if let code = TextRef.digits(f) { return TextRef(packed: TextRef.inline | code) }
        let ref = TextRef(offset: bytes.count, count: f.count)
        bytes.append(count: f.count) { copyBytes(f, to: UnsafeMutableRawPointer($0.baseAddress!)) }
        return ref
    }

    mutating func append(_ other: TextArena) { bytes += other.bytes }

    /// Makes room for `more` bytes (see `reserve(_:_:_:basis:)`), by default projecting what it will hold then.
    mutating func reserve(_ more: Int, _ factor: Double?, basis: Int? = nil) {
        SiChaCore.reserve(&bytes, more, factor, basis: basis ?? bytes.count + more)
    }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    func withBytes<R>(_ ref: TextRef, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        ref.isInline ? Self.withBytes(ref, in: UnsafeRawBufferPointer(start: nil, count: 0), body)
            : bytes.withUnsafeBytes { Self.withBytes(ref, in: $0, body) }
    }

    /// The bytes of `ref` in an arena whose bytes are `bytes`.
    static func withBytes<R>(_ ref: TextRef, in bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        guard ref.isInline else { return body(UnsafeRawBufferPointer(rebasing: bytes[ref.offset ..< ref.offset + ref.count])) }
        let count = Int(ref.packed >> 57 & 31)
        return withStackBytes(count) { digits in
            var value = ref.packed & (1 << 57 - 1)
            for i in (0..<count).reversed() {
                digits[i] = UInt8(value % 10) + 0x30
                value /= 10
            }
            return body(UnsafeRawBufferPointer(digits))
        }
    }

    public func string(_ ref: TextRef) -> String {
        withBytes(ref) { String(decoding: $0, as: UTF8.self) }
    }

    func equal(_ a: TextRef, _ other: TextArena, _ b: TextRef) -> Bool {
        // A text is inline exactly when it is a short code, so an inline text equals only the same inline text.
        if a.isInline || b.isInline { return a.packed == b.packed }
        return bytes[a.offset ..< a.offset + a.count].elementsEqual(other.bytes[b.offset ..< b.offset + b.count])
    }
}

/// What a record says of sex and birth date in its own columns (0 where empty or unreadable).
public struct StatedIdentity: Sendable {
    var birth: Int32
    var sex: UInt8

    init(sex: UInt8, birth: Int32) {
        self.birth = birth
        self.sex = sex
    }
}

// The records' fields are ordered largest first, so that the small ones share the last word:
// a province holds tens of millions of them.

/// A 户籍 record with a valid ID.
public struct HukouRecord: Sendable {
    public var key: UInt64
    public var location: Location
    var name: TextRef
    var region: TextRef
    var stated: StatedIdentity
    public var status: HukouStatus
}

/// A 学籍 record with a valid ID.
public struct XuejiRecord: Sendable {
    public var key: UInt64
    public var location: Location
    var name: TextRef
    var school: TextRef
    var region: TextRef
    var stated: StatedIdentity
    public var status: XuejiStatus
    public var grade: UInt8
    public var returned: Bool
}

/// A 在校生 roster row with a valid ID.
public struct RosterRecord: Sendable {
    public var key: UInt64
    public var location: Location
    var name: TextRef
    var school: TextRef
    public var daysExpected: Int32
    public var daysAbsent: Int32
    public var grade: UInt8
}

/// A member of a household on the poverty register, with a valid ID.
public struct PovertyRecord: Sendable {
    public var key: UInt64
    public var location: Location
    var household: TextRef
    var name: TextRef
    var region: TextRef
    public var category: PovertyCategory
    public var groups: SpecialGroups
}

/// A keyed record, so that the join can treat the four tables alike.
protocol KeyedRecord { var key: UInt64 { get }; var location: Location { get } }
extension HukouRecord: KeyedRecord {}
extension XuejiRecord: KeyedRecord {}
extension RosterRecord: KeyedRecord {}
extension PovertyRecord: KeyedRecord {}
