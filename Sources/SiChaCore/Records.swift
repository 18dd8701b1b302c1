/// Where a record starts: the input file (in run order) and the 1-based physical line.
public struct Location: Hashable, Comparable, Sendable {
    public let packed: UInt64
    public init(file: Int, line: Int) { packed = UInt64(file) << 44 | UInt64(line) }
    init(packed: UInt64) { self.packed = packed }
    public var file: Int { Int(packed >> 44) }
    public var line: Int { Int(packed & (1 << 44 - 1)) }
    public static func < (a: Location, b: Location) -> Bool { a.packed < b.packed }
}

/// A field's bytes kept in the text arena of the file it came from.
public struct TextRef: Sendable {
    static let offsetShift: UInt64 = 21
    let packed: UInt64
    init(packed: UInt64) { self.packed = packed }
    init(offset: Int, count: Int) { packed = UInt64(offset) << TextRef.offsetShift | UInt64(count) }
    var offset: Int { Int(packed >> TextRef.offsetShift) }
    var count: Int { Int(packed & (1 << 21 - 1)) }
}

/// The text fields of one file's records, stored once, end to end.
public struct TextArena: Sendable {
    private(set) var bytes: [UInt8] = []

    mutating func add(_ field: UnsafeRawBufferPointer) -> TextRef {
        let f = field.trimmingSpaces()
        let ref = TextRef(offset: bytes.count, count: f.count)
        bytes.append(contentsOf: f)
        return ref
    }

    mutating func append(_ other: TextArena) { bytes += other.bytes }

    mutating func reserve(_ count: Int) { bytes.reserveCapacity(count) }

    func withBytes<R>(_ ref: TextRef, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[ref.offset ..< ref.offset + ref.count])) }
    }

    public func string(_ ref: TextRef) -> String {
        String(decoding: bytes[ref.offset ..< ref.offset + ref.count], as: UTF8.self)
    }

    func equal(_ a: TextRef, _ other: TextArena, _ b: TextRef) -> Bool {
        bytes[a.offset ..< a.offset + a.count].elementsEqual(other.bytes[b.offset ..< b.offset + b.count])
    }
}

/// What a record says of sex and birth date in its own columns (0 where empty or unreadable).
public struct StatedIdentity: Sendable {
    var sex: UInt8
    var birth: Int32
}

/// A 户籍 record with a valid ID.
public struct HukouRecord: Sendable {
    public var key: UInt64
    public var location: Location
    public var status: HukouStatus
    var stated: StatedIdentity
    var name: TextRef
    var region: TextRef
}

/// A 学籍 record with a valid ID.
public struct XuejiRecord: Sendable {
    public var key: UInt64
    public var location: Location
    public var status: XuejiStatus
    public var grade: UInt8
    public var returned: Bool
    var stated: StatedIdentity
    var name: TextRef
    var school: TextRef
    var region: TextRef
}

/// A 在校生 roster row with a valid ID.
public struct RosterRecord: Sendable {
    public var key: UInt64
    public var location: Location
    public var grade: UInt8
    public var daysExpected: Int32
    public var daysAbsent: Int32
    var name: TextRef
    var school: TextRef
}

/// A member of a household on the poverty register, with a valid ID.
public struct PovertyRecord: Sendable {
    public var key: UInt64
    public var location: Location
    public var category: PovertyCategory
    public var groups: SpecialGroups
    var household: TextRef
    var name: TextRef
    var region: TextRef
}

/// A keyed record, so that the join can treat the four tables alike.
protocol KeyedRecord { var key: UInt64 { get }; var location: Location { get } }
extension HukouRecord: KeyedRecord {}
extension XuejiRecord: KeyedRecord {}
extension RosterRecord: KeyedRecord {}
extension PovertyRecord: KeyedRecord {}
