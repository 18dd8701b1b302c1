/// A set of ID keys (never 0) in one flat open-addressing table: 8 bytes a slot, no per-key allocation.
///
/// Used for the hukou population, where a `Set<UInt64>` would cost several times the memory.
public struct KeySet: Sendable {
    private var slots: [UInt64]
    public private(set) var count = 0
    /// A blocked Bloom filter over the keys (8 bits a key, two bits in one word), made by
    /// `summarize()`: small enough to stay in cache, it answers most misses without touching `slots`.
    /// (With 16 bits a key, fewer false hits did not make up for more cache misses: reading hukou
    /// at 10M took 2% longer; with 4, more false hits cost 5%.)
    private var summary: [UInt64] = []

    /// Room for `capacity` keys before the table grows (it is kept at most 70% full).
    public init(capacity: Int = 1024) {
        slots = [UInt64](repeating: 0, count: max(16, capacity * 10 / 7 + 1))
    }

    /// A set of `keys`, inserted in the order of the slots they go to: the table fills from start to
    /// end instead of at random, so that inserting millions of keys does not miss the cache on each.
    public init(_ keys: [UInt64]) {
        self.init(capacity: keys.count)
        // (An empty array must not be made below: it would write to the shared empty storage.)
        guard !keys.isEmpty else { return }
        // Counted out into buckets of neighbouring slots, then inserted bucket by bucket.
        let buckets = 1 << 12, size = slots.count
        func bucket(_ key: UInt64) -> Int { KeySet.slot(key, size) * buckets / size }
        var next = [Int](repeating: 0, count: buckets + 1)
        for key in keys { next[bucket(key) + 1] += 1 }
        for b in 0..<buckets { next[b + 1] += next[b] }
        let ordered = [UInt64](unsafeUninitializedCapacity: keys.count) { buffer, count in
            for key in keys {
                buffer[next[bucket(key)]] = key
                next[bucket(key)] += 1
            }
            count = keys.count
        }
        for key in ordered { insert(key) }
    }

    /// Where the probe for `key` starts: a hash of the key scaled to the table's size.
    @inline(__always)
    private static func slot(_ key: UInt64, _ size: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15).multipliedFullWidth(by: UInt64(size)).high)
    }

    public func contains(_ key: UInt64) -> Bool {
        if !mayContain(key) { return false }
        var i = KeySet.slot(key, slots.count)
        while true {
            let k = slots[i]
            if k == key { return true }
            if k == 0 { return false }
            i += 1
            if i == slots.count { i = 0 }
        }
    }

    /// Adds `key`; false when it was already there.
    @discardableResult
    public mutating func insert(_ key: UInt64) -> Bool {
        precondition(key != 0)
        if !summary.isEmpty { summary = [] }
        if (count + 1) * 10 > slots.count * 7 { grow() }
        var i = KeySet.slot(key, slots.count)
        while true {
            let k = slots[i]
            if k == key { return false }
            if k == 0 { slots[i] = key; count += 1; return true }
            i += 1
            if i == slots.count { i = 0 }
        }
    }

    /// Makes the summary that lets `contains` answer most misses from cache; for a set that is
    /// looked up much more often than it changes (an insert drops the summary).
    public mutating func summarize() {
        var words = [UInt64](repeating: 0, count: max(1, count / 8))
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

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        count = 0
        for k in old where k != 0 { insert(k) }
    }
}

/// The keys and lines of `normal` hukou records kept only as keys, and the keys alone of those of
/// other statuses, spread by hash into 16 parts. Each part is checked for repeated keys in 16
/// pieces small enough for a table that stays in cache: one table over all the keys would miss the
/// cache on nearly every insert. The keys are those of valid IDs, held in six bytes (see `packed`).
public struct KeyLines: Sendable {
    static let parts = 16
    /// Each part's keys of `normal` records, packed, as three 16-bit words each (lowest first).
    private(set) var keys = [[UInt16]](repeating: [], count: KeyLines.parts)
    /// Keys (packed) of records of other statuses: they tell only that a person has a hukou record.
    private(set) var others = [[UInt64]](repeating: [], count: KeyLines.parts)
    /// Each part's lines, which ascend, as the steps between them in LEB128: mostly one byte, as
    /// an adult is seldom more than 127 lines after the part's one before.
    private(set) var steps = [[UInt8]](repeating: [], count: KeyLines.parts)
    /// The line of each part's last key (0 before the first).
    private var last = [Int](repeating: 0, count: KeyLines.parts)

    public init() {}

    /// The last year of birth a packed key can hold (a run's as-of date may not be later).
    public static let lastYear = 2603

    /// The key of a valid ID in 48 bits: the region (6 digits, 20 bits), the birth date as
    /// (year − 1900) · 372 + (month − 1) · 31 + day − 1 (18 bits, to the year 2603) and the
    /// sequence (10 bits).
    @inline(__always)
    static func packed(_ key: UInt64) -> UInt64 {
        let region = key / 100_000_000_000, ymd = key / 1000 % 100_000_000
        let date = (ymd / 10000 - 1900) * 372 + (ymd / 100 % 100 - 1) * 31 + ymd % 100 - 1
        return region << 28 | date << 10 | key % 1000
    }

    /// The key that `packed` made `p` of.
    @inline(__always)
    static func key(packed p: UInt64) -> UInt64 {
        let date = p >> 10 & (1 << 18 - 1)
        let ymd = (date / 372 + 1900) * 10000 + (date % 372 / 31 + 1) * 100 + date % 31 + 1
        return (p >> 28) * 100_000_000_000 + ymd * 1000 + p & 1023
    }

    /// Key `i` of part `p`, packed.
    @inline(__always)
    private func key(_ i: Int, of p: Int) -> UInt64 {
        keys[p].withUnsafeBufferPointer { UInt64($0[3 * i]) | UInt64($0[3 * i + 1]) << 16 | UInt64($0[3 * i + 2]) << 32 }
    }

    /// How many keys of `normal` records part `p` holds.
    private func count(_ p: Int) -> Int { keys[p].count / 3 }

    @inline(__always)
    private static func put(_ value: Int, _ bytes: inout [UInt8]) {
        var v = UInt(value)
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always)
    private static func get(_ bytes: [UInt8], _ at: inout Int) -> Int {
        var value = 0, shift = 0
        while true {
            let b = bytes[at]
            at += 1
            value |= Int(b & 0x7F) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    /// The lines of the keys of part `p` that `wanted` (packed keys) holds, in order.
    func lines(_ p: Int, of wanted: KeySet) -> [Int] {
        var at = 0, line = 0
        var found: [Int] = []
        for i in 0..<count(p) {
            line += KeyLines.get(steps[p], &at)
            if wanted.contains(key(i, of: p)) { found.append(line) }
        }
        return found
    }

    /// Bits 60–63 of a hash of a packed key choose its part, bits 56–59 its piece.
    @inline(__always)
    private static func hash(_ packed: UInt64) -> Int { Int(truncatingIfNeeded: (packed &* 0xC2B2_AE3D_27D4_EB4F) >> 56) }

    /// Removes every key, keeping the room.
    mutating func removeAll() {
        for p in 0..<KeyLines.parts {
            keys[p].removeAll(keepingCapacity: true)
            others[p].removeAll(keepingCapacity: true)
            steps[p].removeAll(keepingCapacity: true)
            last[p] = 0
        }
    }

    /// Makes room for `more` keys over all parts (see `reserve(_:_:_:basis:)`).
    mutating func makeRoom(_ more: Int, factor: Double) {
        for p in 0..<KeyLines.parts where !keys[p].isEmpty {
            reserve(&keys[p], 6 * more / KeyLines.parts, factor, basis: keys[p].count)
            reserve(&steps[p], 2 * more / KeyLines.parts, factor, basis: steps[p].count)
        }
    }

    /// Adds the keys of `normal` records, their lines ascending: counted out by part first, so
    /// that each part takes its share in one append.
    mutating func add(_ batch: [(key: UInt64, line: Int)]) {
        var starts = [Int](repeating: 0, count: KeyLines.parts + 1)
        let packed = batch.map { KeyLines.packed($0.key) }
        for k in packed { starts[KeyLines.hash(k) >> 4 + 1] += 1 }
        for p in 0..<KeyLines.parts { starts[p + 1] += starts[p] }
        var next = starts
        var words = [UInt16](repeating: 0, count: 3 * batch.count), lines = [Int](repeating: 0, count: batch.count)
        words.withUnsafeMutableBufferPointer { words in
            for (k, entry) in zip(packed, batch) {
                let p = KeyLines.hash(k) >> 4, at = next[p]
                (words[3 * at], words[3 * at + 1], words[3 * at + 2]) =
                    (UInt16(truncatingIfNeeded: k), UInt16(truncatingIfNeeded: k >> 16), UInt16(truncatingIfNeeded: k >> 32))
                lines[at] = entry.line
                next[p] = at + 1
            }
        }
        var bytes: [UInt8] = []
        for p in 0..<KeyLines.parts where starts[p + 1] > starts[p] {
            bytes.removeAll(keepingCapacity: true)
            var line = last[p]
            for l in lines[starts[p] ..< starts[p + 1]] {
                KeyLines.put(l - line, &bytes)
                line = l
            }
            keys[p] += words[3 * starts[p] ..< 3 * starts[p + 1]]
            steps[p] += bytes
            last[p] = line
        }
    }

    /// Adds the key of a record of another status.
    mutating func add(other key: UInt64) {
        let packed = KeyLines.packed(key)
        others[KeyLines.hash(packed) >> 4].append(packed)
    }

    /// Adds the keys of a later part of the same file, whose lines count from 1 after `linesBefore`
    /// (growing by `factor` when given: see `reserve(_:_:_:basis:)`).
    mutating func append(_ other: KeyLines, linesBefore: Int, factor: Double? = nil) {
        for p in 0..<KeyLines.parts where !other.others[p].isEmpty { others[p] += other.others[p] }
        for p in 0..<KeyLines.parts where !other.keys[p].isEmpty {
            reserve(&keys[p], other.keys[p].count, factor, basis: keys[p].count + other.keys[p].count)
            reserve(&steps[p], other.steps[p].count, factor, basis: steps[p].count + other.steps[p].count)
            keys[p] += other.keys[p]
            // Only the first step changes: it now starts from this part's last line.
            var at = 0
            let first = KeyLines.get(other.steps[p], &at)
            KeyLines.put(linesBefore + first - last[p], &steps[p])
            steps[p] += other.steps[p][at...]
            last[p] = linesBefore + other.last[p]
        }
    }

    /// The keys of `normal` records that occur more than once across `files`, and the lines of
    /// their records in each file (ascending); and the keys of `probe` that none of the files holds,
    /// of whatever status. The parts are checked on `threads` threads.
    public static func repeated(in files: [KeyLines], absentOf probe: [UInt64] = [], threads: Int)
        -> (keys: KeySet, lines: [[Int]], absent: KeySet) {
        let found = Slots([(keys: [UInt64], lines: [[Int]], absent: [UInt64])?](repeating: nil, count: parts))
        let threads = max(1, threads)
        // The probed keys in order of part and piece (the 8 bits of `hash`), where bucket b starts at `at[b]`.
        let probe = probe.map(packed)
        var starts = [Int](repeating: 0, count: parts * 16 + 1)
        for key in probe { starts[hash(key) + 1] += 1 }
        for b in 0..<parts * 16 { starts[b + 1] += starts[b] }
        let at = starts
        let probes = [UInt64](unsafeUninitializedCapacity: probe.count) { buffer, count in
            var next = at
            for key in probe {
                buffer[next[hash(key)]] = key
                next[hash(key)] += 1
            }
            count = probe.count
        }
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for p in stride(from: t, to: parts, by: threads) {
                // The part's keys, copied into its pieces: those of `normal` records, then the others.
                var starts = [Int](repeating: 0, count: 17), ends = starts
                for f in files { for i in 0..<f.count(p) { ends[hash(f.key(i, of: p)) & 15] += 1 } }
                for f in files { for key in f.others[p] { starts[hash(key) & 15 + 1] += 1 } }
                for i in 0..<16 { starts[i + 1] += starts[i] + ends[i] }
                for i in 0..<16 { ends[i] += starts[i] }
                // (An empty array must not be made this way: it would write to the shared empty storage.)
                guard starts[16] > 0 else {
                    found.update { $0[p] = ([], files.map { _ in [] }, Array(probes[at[p << 4] ..< at[(p + 1) << 4]])) }
                    continue
                }
                var next = starts, nextOther = ends
                let pieces = [UInt64](unsafeUninitializedCapacity: starts[16]) { buffer, count in
                    for f in files {
                        for i in 0..<f.count(p) {
                            let key = f.key(i, of: p)
                            buffer[next[hash(key) & 15]] = key
                            next[hash(key) & 15] += 1
                        }
                        for key in f.others[p] {
                            buffer[nextOther[hash(key) & 15]] = key
                            nextOther[hash(key) & 15] += 1
                        }
                    }
                    count = starts[16]
                }
                var twice = KeySet()
                var again: [UInt64] = [], absent: [UInt64] = []
                for i in 0..<16 {
                    var seen = KeySet(capacity: starts[i + 1] - starts[i])
                    for key in pieces[starts[i] ..< ends[i]] where !seen.insert(key) && twice.insert(key) { again.append(key) }
                    let sought = probes[at[p << 4 | i] ..< at[p << 4 | i + 1]]
                    if sought.isEmpty { continue }
                    for key in pieces[ends[i] ..< starts[i + 1]] { seen.insert(key) }
                    absent += sought.filter { !seen.contains($0) }
                }
                let lines = files.map { $0.lines(p, of: twice) }
                found.update { $0[p] = (again, lines, absent) }
            }
        }
        var keys = KeySet(), absent = KeySet()
        var lines = [[Int]](repeating: [], count: files.count)
        for part in found.value {
            for k in part!.keys { keys.insert(key(packed: k)) }
            for k in part!.absent { absent.insert(key(packed: k)) }
            for f in files.indices { lines[f] += part!.lines[f] }
        }
        return (keys, lines.map { $0.sorted() }, absent)
    }
}

import Dispatch
import SiChaIO
