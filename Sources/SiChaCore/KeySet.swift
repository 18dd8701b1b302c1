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
        self.init(keys, repeated: { _ in })
    }

    /// The keys that occur more than once in `keys` (see `init(_:)`).
    static func repeated(in keys: [UInt64]) -> KeySet {
        var twice = KeySet()
        _ = KeySet(keys) { twice.insert($0) }
        return twice
    }

    private init(_ keys: [UInt64], repeated: (UInt64) -> Void) {
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
        for key in ordered where !insert(key) { repeated(key) }
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

/// The `normal` hukou records kept only as keys, with their lines and their names and regions, and
/// the keys alone of those of other statuses. The keys are spread by hash into 64 parts; each part
/// is checked for repeated keys in 16 pieces small enough for a table that stays in cache: one
/// table over all the keys would miss the cache on nearly every insert. The keys are those of valid
/// IDs, held in six bytes (see `packed`). The names and regions are held in the order of the
/// records, apart from the keys, which tell where each record's are.
///
/// A part that comes to hold `writeAbove` bytes is written to a temporary file and read back when
/// the repeated keys are sought, and so are the names and regions, of which only the repeated
/// keys' are read back: the hukou population takes disk rather than memory (some 27 bytes a person).
/// Without a file (a full disk, say) they stay in memory.
public struct KeyLines: Sendable {
    static let parts = 64

    /// A `normal` record to keep as a key: its name and region are in the texts given with it, at
    /// `text` (see `keep`).
    typealias Entry = (key: UInt64, line: Int, text: Int)

    /// One part's keys and where their records are.
    struct Part {
        /// Keys of `normal` records, packed, as three 16-bit words each (lowest first).
        var keys: [UInt16] = []
        /// Their lines, which ascend, as the steps between them in LEB128: mostly one byte, as an
        /// adult is seldom more than 127 lines after the part's one before.
        var steps: [UInt8] = []
        /// Where their names and regions are in the texts, which ascends too, as steps in LEB128.
        var textSteps: [UInt8] = []
        /// Keys (packed) of records of other statuses: they tell only that a person has a hukou record.
        var others: [UInt64] = []

        /// How many keys of `normal` records the part holds.
        var count: Int { keys.count / 3 }

        /// The bytes the part holds.
        var bytes: Int { keys.count * 2 + steps.count + textSteps.count + others.count * 8 }

        /// Key `i`, packed.
        @inline(__always)
        func key(_ i: Int) -> UInt64 {
            keys.withUnsafeBufferPointer { UInt64($0[3 * i]) | UInt64($0[3 * i + 1]) << 16 | UInt64($0[3 * i + 2]) << 32 }
        }

        /// Which records have a key that `wanted` (packed keys) holds, in order, and where their
        /// names and regions are in the texts.
        func find(_ wanted: KeySet) -> (records: [Int32], places: [Int]) {
            var at = 0, text = 0
            var found: (records: [Int32], places: [Int]) = ([], [])
            for i in 0..<count {
                text += KeyLines.get(textSteps, &at)!
                if wanted.contains(key(i)) {
                    found.records.append(Int32(i))
                    found.places.append(text)
                }
            }
            return found
        }

        /// Calls `body` with the key (unpacked) and line of each of `records` (ascending).
        func forEach(_ records: [Int32], _ body: (_ key: UInt64, _ line: Int) -> Void) {
            var at = 0, line = 0, next = 0
            for i in 0..<count where next < records.count {
                line += KeyLines.get(steps, &at)!
                if i == records[next] {
                    body(KeyLines.key(packed: key(i)), line)
                    next += 1
                }
            }
        }

        mutating func removeAll() {
            keys.removeAll(keepingCapacity: true)
            steps.removeAll(keepingCapacity: true)
            textSteps.removeAll(keepingCapacity: true)
            others.removeAll(keepingCapacity: true)
        }
    }

    /// Where some of a part's keys, steps and others were written (byte ranges of the file).
    private struct Extent { let keys, steps, textSteps, others: Range<Int> }

    private var held = [Part](repeating: Part(), count: KeyLines.parts)
    /// The line, and the place in the texts, of each part's last key (0 before the first).
    private var last = [Int](repeating: 0, count: KeyLines.parts), lastText = [Int](repeating: 0, count: KeyLines.parts)
    private var written = [[Extent]](repeating: [], count: KeyLines.parts)
    /// The names and regions of the records, in order: those not yet written (the texts from
    /// `textsWritten` on), and where those written are in the file (`start` in the texts).
    private var texts: [UInt8] = []
    private var textsWritten = 0
    private var textExtents: [(start: Int, at: Int)] = []
    private var file: TemporaryFile?
    /// False once a file could not be made or written: the parts then stay in memory.
    private var writable = true
    /// Set when what was written could not be read back.
    private(set) var unreadable = false
    /// Bytes a part, and the texts, hold in memory before they are written.
    var writeAbove = 1 << 17
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

    /// The bytes `value` takes in LEB128.
    @inline(__always)
    private static func size(_ value: Int) -> Int {
        value < 0x80 ? 1 : (Int.bitWidth - value.leadingZeroBitCount + 6) / 7
    }

    /// Writes `value` in LEB128 at `at` of `bytes`, and moves `at` past it.
    @inline(__always)
    private static func put(_ value: Int, _ bytes: UnsafeMutableBufferPointer<UInt8>, _ at: inout Int) {
        var v = UInt(value)
        while v >= 0x80 {
            bytes[at] = UInt8(v & 0x7F) | 0x80
            v >>= 7
            at += 1
        }
        bytes[at] = UInt8(v)
        at += 1
    }

    /// The value in LEB128 at `at` of `bytes`, moving `at` past it; nil when `bytes` ends first.
    @inline(__always)
    private static func get<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, _ at: inout Int) -> Int? where Bytes.Index == Int {
        var value = 0, shift = 0
        while at < bytes.endIndex, shift < Int.bitWidth {
            let b = bytes[at]
            at += 1
            value |= Int(b & 0x7F) << shift
            if b < 0x80 { return value }
            shift += 7
        }
        return nil
    }

    /// Appends a record's name and region, as read, to `texts` as they are kept (each as its length
    /// in LEB128 and its bytes); returns where they start.
    static func keep(name: UnsafeRawBufferPointer, region: UnsafeRawBufferPointer, in texts: inout [UInt8]) -> Int {
        let start = texts.count, count = size(name.count) + name.count + size(region.count) + region.count
        func write(_ out: UnsafeMutableBufferPointer<UInt8>) {
            var at = 0
            func put(_ field: UnsafeRawBufferPointer) {
                KeyLines.put(field.count, out, &at)
                copyBytes(field, to: UnsafeMutableRawPointer(out.baseAddress! + at))
                at += field.count
            }
            put(name)
            put(region)
        }
        texts.append(count: count, write)
        return start
    }

    /// The name and region that `keep` put at `at` of `texts`; nil when `texts` ends first.
    static func kept(_ texts: UnsafeRawBufferPointer, at start: Int) -> (name: UnsafeRawBufferPointer, region: UnsafeRawBufferPointer)? {
        var at = start
        func field() -> UnsafeRawBufferPointer? {
            guard let count = get(texts, &at), count <= texts.count - at else { return nil }
            defer { at += count }
            return UnsafeRawBufferPointer(rebasing: texts[at ..< at + count])
        }
        guard let name = field(), let region = field() else { return nil }
        return (name, region)
    }

    /// Keys (of both kinds) held in memory rather than written.
    var keysInMemory: Int { held.reduce(0) { $0 + $1.count + $1.others.count } }

    /// Bytes of names and regions held in memory rather than written.
    var textsInMemory: Int { texts.count }

    /// Puts part `p` whole into `part` (in the room it has): what was written of it, then what is
    /// held. False when it cannot be read back.
    func read(_ p: Int, into part: inout Part) -> Bool {
        part.removeAll()
        for e in written[p] {
            guard read(e.keys, onto: &part.keys), read(e.steps, onto: &part.steps), read(e.textSteps, onto: &part.textSteps),
                  read(e.others, onto: &part.others) else { return false }
        }
        part.keys += held[p].keys
        part.steps += held[p].steps
        part.textSteps += held[p].textSteps
        part.others += held[p].others
        return true
    }

    /// Appends the values written at `bytes` of the file to `array`; false when they cannot be read.
    private func read<T: FixedWidthInteger>(_ bytes: Range<Int>, onto array: inout [T]) -> Bool {
        var done = true
        array.append(count: bytes.count / MemoryLayout<T>.stride) {
            done = file?.read(at: bytes.lowerBound, into: UnsafeMutableRawBufferPointer($0)) ?? false
        }
        return done
    }

    /// Reads back the names and regions of records at ascending places in the texts (`places`),
    /// those written a piece of the file at a time: from a place to the last of the places that
    /// follow within 64 KiB.
    struct TextReader {
        let store: KeyLines
        let places: [Int]
        private var window: [UInt8] = [], windowStart = 0
        private var next = 0

        init(_ store: KeyLines, places: [Int]) { (self.store, self.places) = (store, places) }

        /// Calls `body` with the name and region at the next of the places; false when they cannot
        /// be read back.
        mutating func next(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) -> Bool {
            let text = places[next]
            next += 1
            func found(_ bytes: [UInt8], from start: Int) -> Bool {
                bytes.withUnsafeBytes { all in
                    guard text >= start, let (name, region) = KeyLines.kept(all, at: text - start) else { return false }
                    body(name, region)
                    return true
                }
            }
            if text >= store.textsWritten { return found(store.texts, from: store.textsWritten) }
            func found() -> Bool { found(window, from: windowStart) }
            if found() { return true }
            // The piece written that holds it (a record's texts are never cut between two).
            var lo = 0, hi = store.textExtents.count
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if store.textExtents[mid].start <= text { lo = mid } else { hi = mid }
            }
            let piece = store.textExtents[lo], pieceEnd = store.textsEnd(lo)
            var end = text + 256, k = next
            while k < places.count, places[k] < min(text + 1 << 16, pieceEnd) {
                end = places[k] + 256
                k += 1
            }
            // More at a time until all of a long text is there.
            while true {
                end = min(end, pieceEnd)
                window.removeAll(keepingCapacity: true)
                windowStart = text
                guard store.read(piece.at + text - piece.start ..< piece.at + end - piece.start, onto: &window) else { return false }
                if found() { return true }
                if end == pieceEnd { return false }
                end = text + 4 * (end - text)
            }
        }
    }

    /// Where written piece `i` of the texts ends (a place in the texts).
    private func textsEnd(_ i: Int) -> Int { i + 1 < textExtents.count ? textExtents[i + 1].start : textsWritten }

    /// Writes `arrays` one after another to the file; where each went, or nil when they cannot be
    /// written (the parts and texts then stay in memory).
    private mutating func write(_ arrays: [UnsafeRawBufferPointer]) -> [Range<Int>]? {
        guard writable else { return nil }
        if file == nil { file = TemporaryFile(directory: directory) }
        var ranges: [Range<Int>] = []
        for bytes in arrays {
            guard let at = file?.append(bytes) else {
                writable = false
                return nil
            }
            ranges.append(at ..< at + bytes.count)
        }
        return ranges
    }

    /// Writes part `p` to the file once it holds `writeAbove` bytes.
    private mutating func writeIfFull(_ p: Int) {
        guard writable, held[p].bytes >= writeAbove else { return }
        let part = held[p]
        let ranges = part.keys.withUnsafeBytes { keys in
            part.steps.withUnsafeBytes { steps in
                part.textSteps.withUnsafeBytes { textSteps in
                    part.others.withUnsafeBytes { others in write([keys, steps, textSteps, others]) }
                }
            }
        }
        guard let ranges else { return }
        written[p].append(Extent(keys: ranges[0], steps: ranges[1], textSteps: ranges[2], others: ranges[3]))
        held[p].removeAll()
    }

    /// Writes the texts held to the file once they are 8 times `writeAbove` bytes (more than a
    /// chunk's, mostly: a chunk's are seldom written, then read back as it is appended).
    private mutating func writeTextsIfFull() {
        guard writable, texts.count >= 8 * writeAbove else { return }
        let all = texts
        guard let range = all.withUnsafeBytes({ write([$0]) })?.first else { return }
        textExtents.append((textsWritten, range.lowerBound))
        textsWritten += texts.count
        texts.removeAll(keepingCapacity: true)
    }

    /// Bits 58–63 of a hash of a packed key choose its part, bits 54–57 its piece.
    @inline(__always)
    private static func hash(_ packed: UInt64) -> Int { Int(truncatingIfNeeded: (packed &* 0xC2B2_AE3D_27D4_EB4F) >> 54) }

    /// Removes every key, keeping the room held in memory.
    mutating func removeAll() {
        for p in 0..<KeyLines.parts {
            held[p].removeAll()
            written[p].removeAll()
            (last[p], lastText[p]) = (0, 0)
        }
        texts.removeAll(keepingCapacity: true)
        (textsWritten, textExtents) = (0, [])
        (file, writable, unreadable) = (nil, true, false)
    }

    /// Adds `normal` records, their lines ascending, whose names and regions `keep` put in `batchTexts`:
    /// counted out by part first, so that each part takes its share in one go.
    mutating func add(_ batch: [Entry], texts batchTexts: [UInt8]) {
        let base = textsWritten + texts.count
        texts += batchTexts
        var starts = [Int](repeating: 0, count: KeyLines.parts + 1)
        let packed = batch.map { KeyLines.packed($0.key) }
        for k in packed { starts[KeyLines.hash(k) >> 4 + 1] += 1 }
        for p in 0..<KeyLines.parts { starts[p + 1] += starts[p] }
        var next = starts
        var words = [UInt16](repeating: 0, count: 3 * batch.count)
        var lines = [Int](repeating: 0, count: batch.count), places = lines
        words.withUnsafeMutableBufferPointer { words in
            for (k, entry) in zip(packed, batch) {
                let p = KeyLines.hash(k) >> 4, at = next[p]
                (words[3 * at], words[3 * at + 1], words[3 * at + 2]) =
                    (UInt16(truncatingIfNeeded: k), UInt16(truncatingIfNeeded: k >> 16), UInt16(truncatingIfNeeded: k >> 32))
                (lines[at], places[at]) = (entry.line, base + entry.text)
                next[p] = at + 1
            }
        }
        for p in 0..<KeyLines.parts where starts[p + 1] > starts[p] {
            held[p].keys += words[3 * starts[p] ..< 3 * starts[p + 1]]
            KeyLines.putSteps(lines[starts[p] ..< starts[p + 1]], from: &last[p], onto: &held[p].steps)
            KeyLines.putSteps(places[starts[p] ..< starts[p + 1]], from: &lastText[p], onto: &held[p].textSteps)
            writeIfFull(p)
        }
        writeTextsIfFull()
    }

    /// Appends the steps from `last` to each of `values` (ascending) onto `bytes`; `last` becomes the last value.
    private static func putSteps<Values: Collection<Int>>(_ values: Values, from last: inout Int, onto bytes: inout [UInt8]) {
        var size = 0, previous = last
        for v in values {
            size += KeyLines.size(v - previous)
            previous = v
        }
        bytes.append(count: size) { out in
            var at = 0
            for v in values {
                KeyLines.put(v - last, out, &at)
                last = v
            }
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
        let base = textsWritten + texts.count
        for (i, piece) in other.textExtents.enumerated() {
            if !other.read(piece.at ..< piece.at + other.textsEnd(i) - piece.start, onto: &texts) { unreadable = true }
        }
        texts += other.texts
        var part = Part()
        for p in 0..<KeyLines.parts {
            guard other.read(p, into: &part) else {
                unreadable = true
                continue
            }
            held[p].others += part.others
            if !part.keys.isEmpty {
                held[p].keys += part.keys
                // Only the first steps change: they now start from this part's last line and text.
                func follow(_ steps: [UInt8], by shift: Int, from last: inout Int, to end: Int, onto bytes: inout [UInt8]) {
                    var at = 0
                    KeyLines.putSteps(CollectionOfOne(KeyLines.get(steps, &at)! + shift), from: &last, onto: &bytes)
                    bytes += steps[at...]
                    last = end + shift
                }
                follow(part.steps, by: linesBefore, from: &last[p], to: other.last[p], onto: &held[p].steps)
                follow(part.textSteps, by: base, from: &lastText[p], to: other.lastText[p], onto: &held[p].textSteps)
            }
            writeIfFull(p)
        }
        writeTextsIfFull()
    }

    /// Finds the `normal` records kept as keys in `files` whose key occurs more than once across
    /// them, and adds them to the files' hukou records (so that their duplicates are reported with
    /// name and region), emptying `population`. Returns the keys of `probe` that none of the files
    /// holds, of whatever status. The parts are checked on `threads` threads, each read back from
    /// the file (if it was written) only then. Throws when a part cannot be read back.
    public static func repeated(in files: inout [FileExtract], absentOf probe: consuming [UInt64] = [], threads: Int)
        throws(InputError) -> KeySet {
        let found = Slots([[UInt64]?](repeating: nil, count: parts))
        let stores = files.map(\.population), inputs = files.map(\.file)
        for f in files.indices { files[f].population = KeyLines() }
        let extracts = Slots(files)
        files = []
        let unreadable = Slots(stores.contains(where: \.unreadable))
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
        // Each thread takes the next part not yet taken (a fixed share each left one waiting for
        // the other: 10M, 20 to 50 ms).
        let taken = Slots(0)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            // A thread's parts, pieces and table are used again for its next part: new memory for
            // each would cost page faults, and at 47M some 100 MiB of memory the heap keeps.
            var held = [Part](repeating: Part(), count: stores.count), pieces: [UInt64] = [], seen = KeySet(capacity: 0)
            while true {
                var p = 0
                taken.update { p = $0; $0 += 1 }
                guard p < parts else { break }
                guard stores.indices.allSatisfy({ stores[$0].read(p, into: &held[$0]) }) else {
                    unreadable.update { $0 = true }
                    continue
                }
                // The part's keys, copied into its pieces: those of `normal` records, then the others.
                var starts = [Int](repeating: 0, count: 17), ends = starts
                for f in held { for i in 0..<f.count { ends[hash(f.key(i)) & 15] += 1 } }
                for f in held { for key in f.others { starts[hash(key) & 15 + 1] += 1 } }
                for i in 0..<16 { starts[i + 1] += starts[i] + ends[i] }
                for i in 0..<16 { ends[i] += starts[i] }
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
                var absent: [UInt64] = []
                for i in 0..<16 {
                    seen.removeAll(capacity: starts[i + 1] - starts[i])
                    for key in pieces[starts[i] ..< ends[i]] where !seen.insert(key) { twice.insert(key) }
                    let sought = probes[at[p << 4 | i] ..< at[p << 4 | i + 1]]
                    if sought.isEmpty { continue }
                    for key in pieces[ends[i] ..< starts[i + 1]] { seen.insert(key) }
                    absent += sought.filter { !seen.contains($0) }
                }
                // The records of the repeated keys go to their files a few thousand at a time.
                for f in held.indices where twice.count > 0 {
                    let (records, places) = held[f].find(twice)
                    var texts = TextReader(stores[f], places: places), batch = FileExtract(file: inputs[f]), handed = 0
                    func hand() {
                        extracts.update { extracts in
                            // Room for all that are to come at once: doubling a large array would copy it over and over.
                            let needed = extracts[f].hukou.count + places.count - handed
                            if needed > extracts[f].hukou.capacity { extracts[f].hukou.reserveCapacity(max(needed, 2 * extracts[f].hukou.capacity)) }
                            // (Its lines are those of the file already.)
                            extracts[f].append(batch, linesBefore: 0, share: nil)
                        }
                        handed += batch.hukou.count
                        batch.reuse(for: inputs[f])
                    }
                    held[f].forEach(records) { key, line in
                        let read = texts.next { name, region in
                            // (Sex and birth date as stated matter only for school-age people, kept in full.)
                            batch.hukou.append(HukouRecord(key: key, location: Location(file: inputs[f].index, line: line),
                                                           name: batch.arena.add(name), region: batch.arena.add(region),
                                                           stated: StatedIdentity(sex: 0, birth: 0), status: .normal))
                        }
                        if !read { unreadable.update { $0 = true } }
                        if batch.hukou.count == 4096 { hand() }
                    }
                    hand()
                }
                found.update { $0[p] = absent }
            }
        }
        files = extracts.value
        if unreadable.value { throw InputError("cannot read back a temporary file") }
        var absent = KeySet()
        for part in found.value { for k in part! { absent.insert(key(packed: k)) } }
        return absent
    }
}

import Dispatch
import SiChaIO
