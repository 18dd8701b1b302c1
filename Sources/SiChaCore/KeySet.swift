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
        slots = [UInt64](repeating: 0, count: KeySet.size(capacity))
    }

    private static func size(_ capacity: Int) -> Int { max(16, capacity * 10 / 7 + 1) }

    /// Empties the set, with room for `capacity` keys, in the memory it has.
    mutating func removeAll(capacity: Int) {
        slots.removeAll(keepingCapacity: true)
        slots.append(contentsOf: repeatElement(0, count: KeySet.size(capacity)))
        (count, summary) = (0, [])
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
/// other statuses, spread by hash into 64 parts. Each part is checked for repeated keys in 16
/// pieces small enough for a table that stays in cache: one table over all the keys would miss the
/// cache on nearly every insert. The keys are those of valid IDs, held in six bytes (see `packed`).
///
/// A part that comes to hold `writeAbove` keys is written to a temporary file and read back when
/// the repeated keys are sought, so that the hukou population takes disk rather than memory (some
/// 7 bytes a person: 330 MB for a province of 47 million). Without a file (a full disk, say) the
/// parts stay in memory.
public struct KeyLines: Sendable {
    static let parts = 64

    /// One part's keys and lines.
    struct Part {
        /// Keys of `normal` records, packed, as three 16-bit words each (lowest first).
        var keys: [UInt16] = []
        /// Their lines, which ascend, as the steps between them in LEB128: mostly one byte, as an
        /// adult is seldom more than 127 lines after the part's one before.
        var steps: [UInt8] = []
        /// Keys (packed) of records of other statuses: they tell only that a person has a hukou record.
        var others: [UInt64] = []

        /// How many keys of `normal` records the part holds.
        var count: Int { keys.count / 3 }

        /// Key `i`, packed.
        @inline(__always)
        func key(_ i: Int) -> UInt64 {
            keys.withUnsafeBufferPointer { UInt64($0[3 * i]) | UInt64($0[3 * i + 1]) << 16 | UInt64($0[3 * i + 2]) << 32 }
        }

        /// The lines of the keys that `wanted` (packed keys) holds, in order.
        func lines(of wanted: KeySet) -> [Int] {
            var at = 0, line = 0
            var found: [Int] = []
            for i in 0..<count {
                line += KeyLines.get(steps, &at)
                if wanted.contains(key(i)) { found.append(line) }
            }
            return found
        }

        mutating func removeAll() {
            keys.removeAll(keepingCapacity: true)
            steps.removeAll(keepingCapacity: true)
            others.removeAll(keepingCapacity: true)
        }
    }

    /// Where some of a part's keys, steps and others were written (byte ranges of the file).
    private struct Extent { let keys, steps, others: Range<Int> }

    private var held = [Part](repeating: Part(), count: KeyLines.parts)
    /// The line of each part's last key (0 before the first).
    private var last = [Int](repeating: 0, count: KeyLines.parts)
    private var written = [[Extent]](repeating: [], count: KeyLines.parts)
    private var file: TemporaryFile?
    /// False once a file could not be made or written: the parts then stay in memory.
    private var writable = true
    /// Set when what was written could not be read back.
    private(set) var unreadable = false
    /// Keys (of both kinds) a part holds in memory before it is written.
    var writeAbove = 1 << 14
    /// Where the file is made.
    var directory = TemporaryFile.directory

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

    /// Keys (of both kinds) held in memory rather than written.
    var keysInMemory: Int { held.reduce(0) { $0 + $1.count + $1.others.count } }

    /// Puts part `p` whole into `part` (in the room it has): what was written of it, then what is
    /// held. False when it cannot be read back.
    func read(_ p: Int, into part: inout Part) -> Bool {
        part.removeAll()
        func read<T: FixedWidthInteger>(_ bytes: Range<Int>, onto array: inout [T]) -> Bool {
            let old = array.count
            array.append(contentsOf: repeatElement(0, count: bytes.count / MemoryLayout<T>.stride))
            return array.withUnsafeMutableBytes { (all: UnsafeMutableRawBufferPointer) in
                file?.read(at: bytes.lowerBound, into: UnsafeMutableRawBufferPointer(rebasing: all[(old * MemoryLayout<T>.stride)...])) ?? false
            }
        }
        for e in written[p] {
            guard read(e.keys, onto: &part.keys), read(e.steps, onto: &part.steps), read(e.others, onto: &part.others) else { return false }
        }
        part.keys += held[p].keys
        part.steps += held[p].steps
        part.others += held[p].others
        return true
    }

    /// Writes part `p` to the file once it holds `writeAbove` keys.
    private mutating func writeIfFull(_ p: Int) {
        guard writable, held[p].count + held[p].others.count >= writeAbove else { return }
        if file == nil { file = TemporaryFile(directory: directory) }
        func write<T>(_ array: [T]) -> Range<Int>? {
            array.withUnsafeBytes { bytes in file?.append(bytes).map { $0 ..< $0 + bytes.count } }
        }
        guard let keys = write(held[p].keys), let steps = write(held[p].steps), let others = write(held[p].others) else {
            writable = false
            return
        }
        written[p].append(Extent(keys: keys, steps: steps, others: others))
        held[p].removeAll()
    }

    /// Bits 58–63 of a hash of a packed key choose its part, bits 54–57 its piece.
    @inline(__always)
    private static func hash(_ packed: UInt64) -> Int { Int(truncatingIfNeeded: (packed &* 0xC2B2_AE3D_27D4_EB4F) >> 54) }

    /// Removes every key, keeping the room held in memory.
    mutating func removeAll() {
        for p in 0..<KeyLines.parts {
            held[p].removeAll()
            written[p].removeAll()
            last[p] = 0
        }
        (file, writable, unreadable) = (nil, true, false)
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
            held[p].keys += words[3 * starts[p] ..< 3 * starts[p + 1]]
            held[p].steps += bytes
            last[p] = line
            writeIfFull(p)
        }
    }

    /// Adds the key of a record of another status.
    mutating func add(other key: UInt64) {
        let packed = KeyLines.packed(key), p = KeyLines.hash(packed) >> 4
        held[p].others.append(packed)
        writeIfFull(p)
    }

    /// Adds the keys of a later part of the same file, whose lines count from 1 after `linesBefore`.
    mutating func append(_ other: KeyLines, linesBefore: Int) {
        unreadable = unreadable || other.unreadable
        var part = Part()
        for p in 0..<KeyLines.parts {
            guard other.read(p, into: &part) else {
                unreadable = true
                continue
            }
            held[p].others += part.others
            if !part.keys.isEmpty {
                held[p].keys += part.keys
                // Only the first step changes: it now starts from this part's last line.
                var at = 0
                let first = KeyLines.get(part.steps, &at)
                KeyLines.put(linesBefore + first - last[p], &held[p].steps)
                held[p].steps += part.steps[at...]
                last[p] = linesBefore + other.last[p]
            }
            writeIfFull(p)
        }
    }

    /// The keys of `normal` records that occur more than once across `files`, and the lines of
    /// their records in each file (ascending); and the keys of `probe` that none of the files holds,
    /// of whatever status. The parts are checked on `threads` threads, each read back from the file
    /// (if it was written) only then. Throws when a part cannot be read back.
    public static func repeated(in files: [KeyLines], absentOf probe: consuming [UInt64] = [], threads: Int)
        throws(InputError) -> (keys: KeySet, lines: [[Int]], absent: KeySet) {
        let found = Slots([(keys: [UInt64], lines: [[Int]], absent: [UInt64])?](repeating: nil, count: parts))
        let unreadable = Slots(files.contains(where: \.unreadable))
        let threads = max(1, threads)
        // The probed keys, packed, in order of part and piece (the bits of `hash`), where bucket b
        // starts at `at[b]`: put in order where they are (a province probes millions).
        var starts = [Int](repeating: 0, count: parts * 16 + 1)
        for i in probe.indices {
            probe[i] = packed(probe[i])
            starts[hash(probe[i]) + 1] += 1
        }
        for b in 0..<parts * 16 { starts[b + 1] += starts[b] }
        let at = starts
        probe.withUnsafeMutableBufferPointer { distribute($0, at, hash) }
        let probes = probe
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            // A thread's parts, pieces and table are used again for its next part: new memory for
            // each would cost page faults, and at 47M some 100 MiB of memory the heap keeps.
            var held = [Part](repeating: Part(), count: files.count), pieces: [UInt64] = [], seen = KeySet(capacity: 0)
            for p in stride(from: t, to: parts, by: threads) {
                guard files.indices.allSatisfy({ files[$0].read(p, into: &held[$0]) }) else {
                    unreadable.update { $0 = true }
                    continue
                }
                // The part's keys, copied into its pieces: those of `normal` records, then the others.
                var starts = [Int](repeating: 0, count: 17), ends = starts
                for f in held { for i in 0..<f.count { ends[hash(f.key(i)) & 15] += 1 } }
                for f in held { for key in f.others { starts[hash(key) & 15 + 1] += 1 } }
                for i in 0..<16 { starts[i + 1] += starts[i] + ends[i] }
                for i in 0..<16 { ends[i] += starts[i] }
                // Without keys, every probed key of the part is absent.
                guard starts[16] > 0 else {
                    found.update { $0[p] = ([], files.map { _ in [] }, Array(probes[at[p << 4] ..< at[(p + 1) << 4]])) }
                    continue
                }
                var next = starts, nextOther = ends
                pieces.removeAll(keepingCapacity: true)
                pieces.append(contentsOf: repeatElement(0, count: starts[16]))
                pieces.withUnsafeMutableBufferPointer { buffer in
                    for f in held {
                        for i in 0..<f.count {
                            let key = f.key(i)
                            buffer[next[hash(key) & 15]] = key
                            next[hash(key) & 15] += 1
                        }
                        for key in f.others {
                            buffer[nextOther[hash(key) & 15]] = key
                            nextOther[hash(key) & 15] += 1
                        }
                    }
                }
                var twice = KeySet()
                var again: [UInt64] = [], absent: [UInt64] = []
                for i in 0..<16 {
                    seen.removeAll(capacity: starts[i + 1] - starts[i])
                    for key in pieces[starts[i] ..< ends[i]] where !seen.insert(key) && twice.insert(key) { again.append(key) }
                    let sought = probes[at[p << 4 | i] ..< at[p << 4 | i + 1]]
                    if sought.isEmpty { continue }
                    for key in pieces[ends[i] ..< starts[i + 1]] { seen.insert(key) }
                    absent += sought.filter { !seen.contains($0) }
                }
                let lines = held.map { $0.lines(of: twice) }
                found.update { $0[p] = (again, lines, absent) }
            }
        }
        if unreadable.value { throw InputError("cannot read back a temporary file") }
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
