import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// An element that can be written to a spill file and read back.
public protocol Spillable: Sendable {
    func spill(into out: inout SpillWriter)
    init(unspilling input: inout SpillReader)
}

/// The bytes of spilled elements.
public struct SpillWriter {
    var bytes: [UInt8] = []

    public mutating func put<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func put(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            put(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }
}

/// Reads back one spilled element.
public struct SpillReader {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var at = 0

    @inlinable init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public mutating func get<T: FixedWidthInteger>(_: T.Type = T.self) -> T {
        defer { at += MemoryLayout<T>.size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
    }

    public mutating func string() -> String {
        let count = Int(get(UInt32.self))
        defer { at += count }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at ..< at + count]), as: UTF8.self)
    }
}

/// A file without a name (removed from its folder as soon as it is made, so that it is gone however
/// the program ends), for data that memory need not hold: written at its end, read back anywhere.
@usableFromInline
final class TemporaryFile: @unchecked Sendable {
    /// `$TMPDIR`, else /tmp.
    static var directory: String { getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp" }

    let descriptor: Int32
    private let lock = DispatchQueue(label: "sicha.temporary")
    private(set) var size = 0
    private var failedRead = false
    /// Whether some bytes could not be read back.
    var unreadable: Bool { lock.sync { failedRead } }

    /// Nil when no file can be made in `directory`.
    init?(directory: String = TemporaryFile.directory) {
        var template = Array((directory + "/sicha-spill-XXXXXX").utf8CString)
        descriptor = mkstemp(&template)
        guard descriptor >= 0 else { return nil }
        unlink(template)
    }

    deinit { close(descriptor) }

    /// Writes `bytes` at the end; returns where they start, or nil when they cannot all be written
    /// (a full disk), in which case the file holds nothing more.
    func append(_ bytes: UnsafeRawBufferPointer) -> Int? {
        lock.sync {
            guard TemporaryFile.all(bytes.count, { pwrite(descriptor, bytes.baseAddress! + $0, bytes.count - $0, off_t(size + $0)) }) else { return nil }
            defer { size += bytes.count }
            return size
        }
    }

    /// Fills `buffer` with the bytes from `offset`; false when they cannot be read (and the file is
    /// `unreadable` from then on).
    @usableFromInline func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        let done = TemporaryFile.all(buffer.count) { pread(descriptor, buffer.baseAddress! + $0, buffer.count - $0, off_t(offset + $0)) }
        if !done { lock.sync { failedRead = true } }
        return done
    }

    /// Calls `move` (a `pwrite` or `pread` of the bytes from the count it is given on) until `count`
    /// bytes are moved; false when one fails.
    private static func all(_ count: Int, _ move: (Int) -> Int) -> Bool {
        var done = 0
        while done < count {
            let n = move(done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}

/// A list that is read in order, held in memory while it is short. Past `budget` elements, the
/// elements held are sorted and written as a run to an unnamed temporary file (removed when closed,
/// however the program ends), and the runs are merged as the list is read: however many findings
/// or cases a hostile input makes, memory holds at most `budget` of them (and a buffer per run).
///
/// Appends may come from several threads; reading waits for `finish()`, and several readers may
/// read at once. If a run cannot be written (a full disk), the elements stay in memory.
public final class SpillList<Element: Spillable>: Sequence, @unchecked Sendable {
    private let budget: Int
    @usableFromInline let areInOrder: @Sendable (Element, Element) -> Bool
    /// Sets an element's position (1-based) in the list as it is read, if the element holds one.
    @usableFromInline let number: (@Sendable (inout Element, Int) -> Void)?
    @usableFromInline let lock = DispatchQueue(label: "sicha.spill")
    @usableFromInline var held: [Element] = []
    @usableFromInline var runs: [(file: TemporaryFile, size: Int)] = []
    private var spillable = true
    /// Opened by `finish()` for the readers (each passes it on to the next).
    private let finished = DispatchSemaphore(value: 0)
    private var appended = 0
    public var count: Int { waitUntilFinished(); return appended }

    /// Sorts and merges by `key` when given (faster), else by `areInOrder`.
    @usableFromInline let key: (@Sendable (Element) -> UInt64)?
    /// Sorts by this first (see `init(budget:by:prefix:number:directory:)`); the key when there is one.
    private let prefix: (@Sendable (Element) -> UInt64)?

    /// Where runs are written.
    private let directory: String

    /// A list in the order of `areInOrder`. `prefix`, when given, orders the elements as
    /// `areInOrder` does as far as it tells them apart: of two elements whose prefixes differ, the
    /// one with the smaller comes first. Sorting then compares numbers, and calls `areInOrder` only
    /// on equal prefixes.
    public init(budget: Int, by areInOrder: @escaping @Sendable (Element, Element) -> Bool,
                prefix: (@Sendable (Element) -> UInt64)? = nil,
                number: (@Sendable (inout Element, Int) -> Void)? = nil, directory: String? = nil) {
        self.budget = Swift.max(1, budget)
        self.areInOrder = areInOrder
        self.number = number
        key = nil
        self.prefix = prefix
        self.directory = directory ?? TemporaryFile.directory
    }

    /// A list ordered by a key that is unique to each element; `kinds` elements of each kind
    /// are counted as they come, so that readers can skip the kinds there are none of.
    public init(budget: Int, key: @escaping @Sendable (Element) -> UInt64, kinds: Int = 1, kind: @escaping @Sendable (Element) -> Int = { _ in 0 }) {
        self.budget = Swift.max(1, budget)
        areInOrder = { key($0) < key($1) }
        number = nil
        self.key = key
        prefix = key
        directory = TemporaryFile.directory
        kindCounts = [Int](repeating: 0, count: kinds)
        self.kind = kind
    }

    /// How many elements of each kind were appended.
    public var counts: [Int] { waitUntilFinished(); return kindCounts }
    private var kindCounts: [Int] = []
    private var kind: (@Sendable (Element) -> Int)?

    public func append(contentsOf elements: [Element]) {
        var full: [Element] = []
        lock.sync {
            held += elements
            appended += elements.count
            if let kind { for e in elements { kindCounts[kind(e)] += 1 } }
            if held.count >= budget && spillable { swap(&full, &held) }
        }
        // Sorted and written outside the lock, so that other threads go on appending meanwhile.
        guard !full.isEmpty else { return }
        sort(&full)
        if let run = write(full) {
            lock.sync { runs.append(run) }
        } else {
            lock.sync {
                spillable = false
                held += full
            }
        }
    }

    /// Orders what is held and lets the readers read; call once, after the last append.
    public func finish() {
        lock.sync { sort(&held) }
        finished.signal()
    }

    /// Returns once `finish()` was called.
    public func waitUntilFinished() {
        finished.wait()
        finished.signal()
    }

    public var isEmpty: Bool { count == 0 }

    /// Whether a reader found a run that could not be read back whole (it then ends that run early):
    /// what was read is not the whole list.
    public var unreadable: Bool { lock.sync { runs.contains { $0.file.unreadable } } }
    public var first: Element? { var i = makeIterator(); return i.next() }

    /// Sorts the positions of `items`, then moves each element once along the cycles of the
    /// permutation, as bytes: elements that hold strings are costly to copy about as a sort does
    /// (10M: 137k findings took 69 ms to put in order by copies, their strings counted in and out).
    private func sort(_ items: inout [Element]) {
        var source: [Int]
        if let prefix {
            var order = items.map(prefix).enumerated().map { ($0.element, $0.offset) }
            items.withUnsafeBufferPointer { items in
                order.sort { $0.0 != $1.0 ? $0.0 < $1.0 : areInOrder(items[$0.1], items[$1.1]) }
            }
            source = order.map(\.1)
        } else {
            source = Array(items.indices)
            items.withUnsafeBufferPointer { items in source.sort { areInOrder(items[$0], items[$1]) } }
        }
        items.withUnsafeMutableBufferPointer { items in
            guard let base = items.baseAddress else { return }
            for start in source.indices where source[start] >= 0 && source[start] != start {
                let saved = (base + start).move()
                var at = start
                while true {
                    let from = source[at]
                    source[at] = -1
                    if from == start { (base + at).initialize(to: saved); break }
                    (base + at).moveInitialize(from: base + from, count: 1)
                    at = from
                }
            }
        }
    }

    /// Writes sorted `items` as a run; nil when it cannot be written.
    private func write(_ items: [Element]) -> (file: TemporaryFile, size: Int)? {
        guard let file = TemporaryFile(directory: directory) else { return nil }
        var out = SpillWriter()
        func flush() -> Bool {
            defer { out.bytes.removeAll(keepingCapacity: true) }
            return out.bytes.withUnsafeBytes { file.append($0) } != nil
        }
        var ok = true
        for element in items where ok {
            // Each element is preceded by its length, for the reader to find its end.
            let start = out.bytes.count
            out.put(UInt32(0))
            element.spill(into: &out)
            let length = UInt32(out.bytes.count - start - 4)
            withUnsafeBytes(of: length.littleEndian) { out.bytes.replaceSubrange(start ..< start + 4, with: $0) }
            if out.bytes.count >= 1 << 20 { ok = flush() }
        }
        guard ok && flush() else { return nil }
        return (file, file.size)
    }

    // Inlinable, so that readers in other modules get code made for their element type.
    @inlinable
    public func makeIterator() -> Iterator {
        waitUntilFinished()
        return lock.sync {
            Iterator(runs: runs.map { RunCursor(file: $0.file, size: $0.size) }, held: held, areInOrder: areInOrder, key: key, number: number)
        }
    }

    /// Reads the runs and the held elements merged in order.
    public struct Iterator: IteratorProtocol {
        @usableFromInline var runs: [RunCursor]
        @usableFromInline let held: [Element]
        @usableFromInline var nextHeld = 0
        /// Each run's next element, and its key when the list has one (`.max` past the end).
        @usableFromInline var heads: [Element?]
        @usableFromInline var headKeys: [UInt64]
        @usableFromInline let areInOrder: @Sendable (Element, Element) -> Bool
        @usableFromInline let key: (@Sendable (Element) -> UInt64)?
        @usableFromInline let number: (@Sendable (inout Element, Int) -> Void)?
        @usableFromInline var position = 0

        @inlinable init(runs: [RunCursor], held: [Element], areInOrder: @escaping @Sendable (Element, Element) -> Bool,
                        key: (@Sendable (Element) -> UInt64)?, number: (@Sendable (inout Element, Int) -> Void)?) {
            self.runs = runs
            self.held = held
            self.areInOrder = areInOrder
            self.key = key
            self.number = number
            heads = []
            headKeys = []
            for i in self.runs.indices {
                heads.append(self.runs[i].next())
                headKeys.append(heads[i].map { key?($0) ?? 0 } ?? .max)
            }
        }

        /// Whether the head of run `i` comes before that of run `j` (both there).
        @inlinable func before(_ i: Int, _ j: Int) -> Bool {
            key != nil ? headKeys[i] < headKeys[j] : areInOrder(heads[i]!, heads[j]!)
        }

        @inlinable
        public mutating func next() -> Element? {
            // The smallest of the runs' heads and the next held element (few runs: a linear scan).
            var best = -1
            for i in heads.indices where heads[i] != nil && (best < 0 || before(i, best)) { best = i }
            var element: Element?
            let heldFirst = nextHeld < held.count
                && (best < 0 || (key.map { $0(held[nextHeld]) < headKeys[best] } ?? areInOrder(held[nextHeld], heads[best]!)))
            if heldFirst {
                element = held[nextHeld]
                nextHeld += 1
            } else if best >= 0 {
                // Moved out, not copied: a finding holds several strings.
                swap(&element, &heads[best])
                heads[best] = runs[best].next()
                headKeys[best] = heads[best].map { key?($0) ?? 0 } ?? .max
            } else {
                return nil
            }
            position += 1
            number?(&element!, position)
            return element
        }
    }

    /// Reads one run's elements in order with `pread`, so that several readers can share its file.
    @usableFromInline
    struct RunCursor {
        @usableFromInline let file: TemporaryFile
        @usableFromInline let size: Int
        @usableFromInline var offset = 0
        @usableFromInline var buffer: [UInt8] = []
        @usableFromInline var start = 0

        @inlinable init(file: TemporaryFile, size: Int) {
            self.file = file
            self.size = size
        }

        /// Makes `count` bytes from `start` available in the buffer; false at the end of the run.
        @inlinable mutating func have(_ count: Int) -> Bool {
            if buffer.count - start >= count { return true }
            buffer.removeSubrange(0 ..< start)
            start = 0
            let want = Swift.min(size - offset, Swift.max(count - buffer.count, 1 << 20))
            guard want > 0 else { return false }
            let old = buffer.count
            buffer += [UInt8](repeating: 0, count: want)
            guard buffer.withUnsafeMutableBytes({ file.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: $0[old...])) }) else {
                buffer.removeLast(want)
                return false
            }
            offset += want
            return buffer.count >= count
        }

        @inlinable mutating func next() -> Element? {
            guard have(4) else { return nil }
            let length = Int(buffer.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: start, as: UInt32.self)) })
            guard have(4 + length) else { return nil }
            let element = buffer.withUnsafeBytes { bytes in
                var reader = SpillReader(bytes: UnsafeRawBufferPointer(rebasing: bytes[start + 4 ..< start + 4 + length]))
                return Element(unspilling: &reader)
            }
            start += 4 + length
            return element
        }
    }
}

extension Finding: Spillable {
    public func spill(into out: inout SpillWriter) {
        out.put(UInt8(code.ordinal))
        out.put(UInt8(dataset.rawValue))
        out.put(location.packed)
        out.put(key)
        out.put(rawID)
        out.put(name)
        out.put(regionCode)
        out.put(schoolCode)
        out.put(detail)
    }

    public init(unspilling input: inout SpillReader) {
        code = FindingCode.byOrdinal[Int(input.get(UInt8.self))]
        dataset = Dataset(rawValue: Int(input.get(UInt8.self)))!
        location = Location(packed: input.get())
        key = input.get()
        (rawID, name, regionCode, schoolCode, detail) = (input.string(), input.string(), input.string(), input.string(), input.string())
    }
}

extension Case: Spillable {
    public func spill(into out: inout SpillWriter) {
        out.put(UInt8(level.rawValue))
        out.put(Int64(score))
        out.put(id.key)
        out.put(name)
        out.put(Int64(age))
        out.put(regionCode)
        out.put(schoolCode)
        out.put(Int64(grade ?? -1))
        out.put(povertyCategory?.rawValue ?? .max)
        out.put(codeSet.bits)
        out.put(reasons.factors)
        out.put(reasons.absencePoints)
        out.put(reasons.cap)
    }

    public init(unspilling input: inout SpillReader) {
        level = RiskLevel(rawValue: Int(input.get(UInt8.self)))!
        score = Int(input.get(Int64.self))
        id = IDNumber(key: input.get())
        name = input.string()
        age = Int(input.get(Int64.self))
        regionCode = input.string()
        schoolCode = input.string()
        let g = Int(input.get(Int64.self))
        grade = g < 0 ? nil : g
        povertyCategory = PovertyCategory(rawValue: input.get(UInt8.self))
        codeSet = FindingCodes()
        codeSet.bits = input.get()
        reasons = RiskReasons(factors: input.get(), absencePoints: input.get(), cap: input.get())
    }
}
