/// 户籍状态.
public enum HukouStatus: UInt8, Sendable {
    case normal, movedOut, deceased, cancelled

    public var name: String { ["normal", "moved_out", "deceased", "cancelled"][Int(rawValue)] }

    static func parse(_ f: UnsafeRawBufferPointer) -> HukouStatus? {
        // Most records are `normal`, written so: compared as two words first.
        if f.count == 6, f.loadUnaligned(as: UInt32.self) == 0x6D72_6F6E, f.loadUnaligned(fromByteOffset: 4, as: UInt16.self) == 0x6C61 {
            return .normal
        }
        return Codebook.lookup(f, names).map { HukouStatus(rawValue: UInt8($0))! }
    }

    private static let names: [(StaticString, StaticString)] =
        [("normal", "正常"), ("moved_out", "迁出"), ("deceased", "死亡"), ("cancelled", "注销")]
}

/// 学籍状态.
public enum XuejiStatus: UInt8, Sendable {
    case enrolled, suspended, homeEducation, transferredOut, droppedOut, graduated, deceased

    public var name: String {
        ["enrolled", "suspended", "home_education", "transferred_out", "dropped_out", "graduated", "deceased"][Int(rawValue)]
    }

    /// 在读, 休学 and 送教上门 keep a child in the school system.
    public var isActive: Bool { self == .enrolled || self == .suspended || self == .homeEducation }

    static func parse(_ f: UnsafeRawBufferPointer) -> XuejiStatus? {
        // Most students are `enrolled`, written so: compared as one word first.
        if f.count == 8, f.loadUnaligned(as: UInt64.self) == 0x6465_6C6C_6F72_6E65 { return .enrolled }
        return Codebook.lookup(f, names).map { XuejiStatus(rawValue: UInt8($0))! }
    }

    private static let names: [(StaticString, StaticString)] =
        [("enrolled", "在读"), ("suspended", "休学"), ("home_education", "送教上门"), ("transferred_out", "转出"),
         ("dropped_out", "辍学"), ("graduated", "毕业"), ("deceased", "死亡")]
}

/// 监测类别 of a registered poor household, from most to least severe.
public enum PovertyCategory: UInt8, Sendable, Comparable {
    case notLifted, unstable, edge, sudden, lifted

    public var name: String { ["not_lifted", "unstable", "edge", "sudden", "lifted"][Int(rawValue)] }

    public static func < (a: PovertyCategory, b: PovertyCategory) -> Bool { a.rawValue < b.rawValue }

    static func parse(_ f: UnsafeRawBufferPointer) -> PovertyCategory? {
        Codebook.lookup(f, names).map { PovertyCategory(rawValue: UInt8($0))! }
    }

    private static let names: [(StaticString, StaticString)] =
        [("not_lifted", "未脱贫户"), ("unstable", "脱贫不稳定户"), ("edge", "边缘易致贫户"), ("sudden", "突发严重困难户"), ("lifted", "脱贫户")]
}

/// The special groups of a poverty member that sicha can see.
public struct SpecialGroups: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let disabled = SpecialGroups(rawValue: 1)
    public static let leftBehind = SpecialGroups(rawValue: 2)
    public static let orphan = SpecialGroups(rawValue: 4)
    public static let singleParent = SpecialGroups(rawValue: 8)
    public static let relocated = SpecialGroups(rawValue: 16)
}

enum Codebook {
    /// The index of the pair whose English (any case) or Chinese form equals the trimmed field.
    static func lookup(_ field: UnsafeRawBufferPointer, _ pairs: [(StaticString, StaticString)]) -> Int? {
        let f = field.trimmingSpaces()
        for (i, pair) in pairs.enumerated() where f.equalsIgnoringCase(pair.0) || f.equalsIgnoringCase(pair.1) {
            return i
        }
        return nil
    }

    /// A grade 1–9: `1`…`9`, `一年级`…`九年级`, `初一`…`初三` (7–9).
    static func grade(_ field: UnsafeRawBufferPointer) -> UInt8? {
        let f = field.trimmingSpaces()
        if f.count == 1, f[0] >= 0x31, f[0] <= 0x39 { return f[0] - 0x30 }
        if f.count == 9, f[3..<9].elementsEqual("年级".utf8) {
            let first = UnsafeRawBufferPointer(rebasing: f[0..<3])
            if let i = numerals.firstIndex(where: { first.equalsIgnoringCase($0) }) { return UInt8(i + 1) }
        }
        if f.count == 6, f[0..<3].elementsEqual("初".utf8) {
            let second = UnsafeRawBufferPointer(rebasing: f[3..<6])
            if let i = numerals.prefix(3).firstIndex(where: { second.equalsIgnoringCase($0) }) { return UInt8(i + 7) }
        }
        return nil
    }

    private static let numerals: [StaticString] = ["一", "二", "三", "四", "五", "六", "七", "八", "九"]

    /// A count of days: a non-negative integer of at most six digits.
    static func days(_ field: UnsafeRawBufferPointer) -> Int32? {
        let f = field.trimmingSpaces()
        guard !f.isEmpty, f.count <= 6, f.allSatisfy({ $0 &- 0x30 < 10 }) else { return nil }
        return Int32(f.decimal(0..<f.count))
    }

    /// A yes/no flag: `1` (or 是, Y, yes, true) is yes; anything else, empty included, is no.
    static func flag(_ field: UnsafeRawBufferPointer) -> Bool {
        // Most flags are written `0` or `1`.
        if field.count == 1, field[0] &- 0x30 < 2 { return field[0] == 0x31 }
        let f = field.trimmingSpaces()
        if f.isEmpty { return false }
        return f.equalsIgnoringCase("1") || f.equalsIgnoringCase("是") || f.equalsIgnoringCase("y")
            || f.equalsIgnoringCase("yes") || f.equalsIgnoringCase("true")
    }
}
