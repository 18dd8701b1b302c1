/// A set of ID keys (never 0) in one flat open-addressing table: 8 bytes a slot, no per-key allocation.
///
/// Used for the hukou population, where a `Set<UInt64>` would cost several times the memory.
public struct KeySet: Sendable {
    private var slots: [UInt64]
    private var mask: Int
    public private(set) var count = 0
    /// A blocked Bloom filter over the keys (16 bits a key, two bits in one word), made by
    /// `summarize()`: small enough to stay in cache, it answers most misses without touching `slots`.
    private var summary: [UInt64] = []

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = KeySet.zeroed(size)
        mask = size - 1
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    public func contains(_ key: UInt64) -> Bool {
        if !mayContain(key) { return false }
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
        summary = []
        if (count + 1) * 10 > slots.count * 7 { grow() }
        var i = KeySet.slot(key, mask)
        while true {
            let k = slots[i]
            if k == key { return false }
            if k == 0 { slots[i] = key; count += 1; return true }
            i = (i + 1) & mask
        }
    }

    /// Makes the summary that lets `contains` answer most misses from cache; for a set that is
    /// looked up much more often than it changes (an insert drops the summary).
    public mutating func summarize() {
        var words = KeySet.zeroed(max(1, count / 4))
        for k in slots where k != 0 {
            let (word, bits) = KeySet.summaryBits(k, words.count)
            words[word] |= bits
        }
        summary = words
    }

    /// False when the summary shows that `key` is not in the set; true without a summary.
    @inline(__always)
    func mayContain(_ key: UInt64) -> Bool {
        if summary.isEmpty { return true }
        let (word, bits) = KeySet.summaryBits(key, summary.count)
        return summary[word] & bits == bits
    }

    @inline(__always)
    private static func summaryBits(_ key: UInt64, _ words: Int) -> (Int, UInt64) {
        let h = key &* 0xC2B2_AE3D_27D4_EB4F
        let word = Int(truncatingIfNeeded: ((h >> 32) &* UInt64(words)) >> 32)
        return (word, 1 << (h & 63) | 1 << ((h >> 6) & 63))
    }

    /// Zeroed storage that the kernel is asked to back with 2 MiB pages: a table probed at random
    /// otherwise misses the TLB on nearly every lookup, which costs more than the lookup itself.
    private static func zeroed(_ count: Int) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: count) { buffer, initialized in
            let base = Int(bitPattern: buffer.baseAddress!), huge = 2 << 20
            let from = (base + huge - 1) & ~(huge - 1), to = (base + count * 8) & ~(huge - 1)
            #if os(Linux)
            if to > from { _ = madvise(UnsafeMutableRawPointer(bitPattern: from), to - from, MADV_HUGEPAGE) }
            #endif
            buffer.initialize(repeating: 0)
            initialized = count
        }
    }

    private mutating func grow() {
        let old = slots
        slots = KeySet.zeroed(old.count * 2)
        mask = slots.count - 1
        count = 0
        for k in old where k != 0 { insert(k) }
    }
}

extension KeySet {
    /// The keys that occur more than once across `lists`. The keys are spread by hash into parts
    /// small enough for a table that stays in cache, and the parts are checked on `threads` threads:
    /// one table over all the keys would miss the cache on nearly every insert. At most `atOnce`
    /// keys are copied into parts at a time (the lists are read once more for each such pass).
    public static func repeated(in lists: [[UInt64]], threads: Int, atOnce: Int = 8 << 20) -> KeySet {
        let partBits = 8, parts = 1 << partBits, threads = max(1, threads)
        @inline(__always) func part(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0xC2B2_AE3D_27D4_EB4F) >> (64 - partBits)) }
        var counts = [Int](repeating: 0, count: parts)
        for list in lists { for key in list { counts[part(key)] += 1 } }
        var result = KeySet()
        var first = 0
        while first < parts {
            // This pass takes parts first..<last: as many as hold at most `atOnce` keys, and at least one.
            var last = first + 1, size = counts[first]
            while last < parts && size + counts[last] <= atOnce {
                size += counts[last]
                last += 1
            }
            var starts = [0]
            for p in first..<last { starts.append(starts.last! + counts[p]) }
            var next = starts
            let (from, to) = (first, last)
            let spread = [UInt64](unsafeUninitializedCapacity: size) { buffer, count in
                for list in lists {
                    for key in list {
                        let p = part(key)
                        guard p >= from && p < to else { continue }
                        buffer[next[p - from]] = key
                        next[p - from] += 1
                    }
                }
                count = size
            }
            let found = Slots([[UInt64]](repeating: [], count: to - from))
            let bounds = starts
            DispatchQueue.concurrentPerform(iterations: min(threads, to - from)) { t in
                for p in stride(from: t, to: to - from, by: threads) {
                    var seen = KeySet(capacity: bounds[p + 1] - bounds[p])
                    var again: [UInt64] = []
                    for i in bounds[p] ..< bounds[p + 1] where !seen.insert(spread[i]) { again.append(spread[i]) }
                    found.update { $0[p] = again }
                }
            }
            for keys in found.value { for key in keys { result.insert(key) } }
            first = last
        }
        return result
    }
}

import Dispatch
import SiChaIO
#if canImport(Glibc)
import Glibc
#endif
