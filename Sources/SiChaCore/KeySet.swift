/// A set of ID keys (never 0) in one flat open-addressing table: 8 bytes a slot, no per-key allocation.
///
/// Used for the hukou population, where a `Set<UInt64>` would cost several times the memory.
public struct KeySet: Sendable {
    private var slots: [UInt64]
    private var mask: Int
    public private(set) var count = 0

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    public func contains(_ key: UInt64) -> Bool {
        var i = KeySet.slot(key, mask)
        while true {
            let k = slots[i]
            if k == key { return true }
            if k == 0 { return false }
            i = (i + 1) & mask
        }
    }

    /// Adds `key`; false when it was already there.
    @discardableResult
    public mutating func insert(_ key: UInt64) -> Bool {
        precondition(key != 0)
        if (count + 1) * 10 > slots.count * 7 { grow() }
        var i = KeySet.slot(key, mask)
        while true {
            let k = slots[i]
            if k == key { return false }
            if k == 0 { slots[i] = key; count += 1; return true }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for k in old where k != 0 { insert(k) }
    }
}
