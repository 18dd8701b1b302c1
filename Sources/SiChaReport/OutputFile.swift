#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import SiChaIO

/// A file written under a temporary name in its folder, and renamed to its real name only by `commit()`.
///
/// A run that fails or is interrupted leaves no half-written file under a real name.
/// Without a path it only collects its bytes in memory (a block of rows formatted on another
/// thread), for `append(_:)` to a file.
final class OutputFile: @unchecked Sendable {
    let path: String
    let temporaryPath: String
    // Used by one thread at a time; not checked for exclusive access at run time.
    @exclusivity(unchecked) private var handle: UnsafeMutablePointer<FILE>?
    @exclusivity(unchecked) private var failed: String?
    /// The bytes not yet written: raw memory rather than an array, which checks and counts
    /// references on every append (a ledger appends some twenty times a row).
    @exclusivity(unchecked) private var pending: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var used = 0
    @exclusivity(unchecked) private var capacity: Int
    private let inMemory: Bool

    init(path: String) throws(InputError) {
        self.path = path
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        temporaryPath = String(path[..<slash]) + "." + String(path[slash...]) + ".tmp-\(getpid())"
        guard let file = fopen(temporaryPath, "wb") else {
            throw InputError("cannot write \(temporaryPath): \(String(cString: strerror(errno)))")
        }
        handle = file
        inMemory = false
        capacity = 1 << 21
        pending = .allocate(capacity: capacity)
        setvbuf(file, nil, _IOFBF, 1 << 20)
    }

    init() {
        path = ""
        temporaryPath = ""
        inMemory = true
        capacity = 1 << 16
        pending = .allocate(capacity: capacity)
    }

    /// Empties an in-memory file, keeping its room.
    func clear() {
        used = 0
        atRowStart = true
    }

    /// Writes the bytes collected by an in-memory `part`.
    func append(_ part: OutputFile) {
        put(UnsafeRawBufferPointer(start: part.pending, count: part.used))
        if used >= 1 << 20 { flushPending() }
    }

    deinit {
        if let handle { syncing.sync {}; fclose(handle); unlink(temporaryPath) }
        pending.deallocate()
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { put(UnsafeRawBufferPointer($0)) }
        if used >= 1 << 20 { flushPending() }
    }

    /// Makes room for `more` bytes after those pending.
    @inline(__always)
    private func reserve(_ more: Int) {
        if used + more > capacity { grow(used + more) }
    }

    @inline(never)
    private func grow(_ needed: Int) {
        while capacity < needed { capacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        bigger.update(from: pending, count: used)
        pending.deallocate()
        pending = bigger
    }

    @inline(__always)
    private func put(_ byte: UInt8) {
        reserve(1)
        pending[used] = byte
        used += 1
    }

    @inline(__always)
    private func put(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        copyBytes(bytes, to: pending + used)
        used += bytes.count
    }

    /// The rest of a row, of at most `atMost` bytes, written by `body` through a cursor straight into
    /// the bytes pending, and its line end: room is made once, not field by field (a ledger writes
    /// millions of rows).
    @inline(__always)
    func row(atMost bytes: Int, _ body: (inout Cursor) -> Void) {
        field(atMost: bytes + 1, body)
        endRow()
    }

    /// Where the next field of a row goes (see `row(atMost:_:)`).
    struct Cursor {
        fileprivate var at: UnsafeMutablePointer<UInt8>
        private var first = true

        fileprivate init(at: UnsafeMutablePointer<UInt8>, first: Bool) { (self.at, self.first) = (at, first) }

        @inline(__always)
        private mutating func separate() {
            if !first { at.pointee = 0x2C; at += 1 }
            first = false
        }

        /// A field whose bytes need no quoting (digits, codes, a text already in CSV form), at most its length.
        @inline(__always)
        mutating func raw(_ bytes: UnsafeRawBufferPointer) {
            separate()
            copyBytes(bytes, to: at)
            at += bytes.count
        }

        /// A field of text as `field(bytes:)` writes it: at most twice its length and 2.
        @inline(__always)
        mutating func text(_ utf8: UnsafeRawBufferPointer) {
            guard OutputFile.needsQuotes(utf8) else { return raw(utf8) }
            separate()
            at.pointee = 0x22
            at += 1
            for byte in utf8 {
                if byte == 0x22 { at.pointee = 0x22; at += 1 }
                at.pointee = byte
                at += 1
            }
            at.pointee = 0x22
            at += 1
        }

        /// A number, or an empty field for nil: at most 20 bytes.
        @inline(__always)
        mutating func number(_ number: Int?) {
            separate()
            guard let number else { return }
            // Ages, grades and scores: one or two digits.
            if number >= 0 && number < 100 {
                if number >= 10 { at.pointee = UInt8(truncatingIfNeeded: number / 10) + 0x30; at += 1 }
                at.pointee = UInt8(truncatingIfNeeded: number % 10) + 0x30
                at += 1
                return
            }
            if number < 0 { at.pointee = 0x2D; at += 1 }
            var n = number.magnitude, digits = 0
            repeat { digits += 1; n /= 10 } while n > 0
            n = number.magnitude
            for i in stride(from: digits - 1, through: 0, by: -1) {
                at[i] = UInt8(truncatingIfNeeded: n % 10) + 0x30
                n /= 10
            }
            at += digits
        }
    }

    /// Whether a field must be quoted: it holds a comma, quote or line break.
    @inline(__always)
    static func needsQuotes(_ utf8: UnsafeRawBufferPointer) -> Bool {
        utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D })
    }

    /// Whether the next field starts a row (no separator before it).
    @exclusivity(unchecked) private var atRowStart = true

    /// One CSV row (RFC 4180): a field with a comma, quote or line break is quoted, quotes doubled.
    func writeRow(_ fields: [String]) {
        for f in fields { field(f) }
        endRow()
    }

    /// The next field of the current row.
    func field(_ text: String) {
        var text = text
        text.withUTF8 { field(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The next field of the current row, from UTF-8 bytes.
    func field(bytes utf8: UnsafeRawBufferPointer) { field(atMost: 2 * utf8.count + 3) { $0.text(utf8) } }

    /// The next field of the current row, of at most `atMost` bytes (its comma included), written
    /// through a cursor.
    @inline(__always)
    func field(atMost bytes: Int, _ body: (inout Cursor) -> Void) {
        reserve(bytes)
        var cursor = Cursor(at: pending + used, first: atRowStart)
        body(&cursor)
        used = pending.distance(to: cursor.at)
        atRowStart = false
    }

    /// The CSV form of a field (quoted when it must be), for a text written on many rows (see `Cursor.raw`).
    static func csv(_ text: String) -> [UInt8] {
        let part = OutputFile()
        part.field(text)
        return Array(UnsafeBufferPointer(start: part.pending, count: part.used))
    }

    func field(_ number: Int) { field(atMost: 21) { $0.number(number) } }

    func endRow() {
        put(0x0A)
        atRowStart = true
        if used >= 1 << 20 { flushPending() }
    }

    private func flushPending() {
        if inMemory { return }
        if failed == nil, used > 0, fwrite(pending, 1, used, handle) != used {
            failed = String(cString: strerror(errno))
        }
        unsynced += used
        used = 0
        // What is written goes to the disk while the rest is formatted, not all at the end.
        if unsynced >= OutputFile.syncEvery, failed == nil, let handle, fflush(handle) == 0 {
            unsynced = 0
            let descriptor = fileno(handle)
            syncing.async { _ = fsync(descriptor) }
        }
    }

    /// Bytes written since the last early sync.
    @exclusivity(unchecked) private var unsynced = 0
    static let syncEvery = 16 << 20
    /// Where the early syncs run, one after another (a queue of its own: it gets a thread at once).
    private lazy var syncing = DispatchQueue(label: "sicha.sync")

    /// Writes what is pending, and syncs and closes the temporary file on its sync queue: the thread
    /// goes on to its next file while the disk catches up (10M: the last syncs took up to 41 ms).
    func finish() {
        guard handle != nil else { return }
        flushPending()
        syncing.async { [self] in
            guard let file = handle else { return }
            handle = nil
            let flushed = fflush(file) == 0 && fsync(fileno(file)) == 0
            let error = errno
            let closed = fclose(file) == 0
            if failed == nil && !(flushed && closed) { failed = String(cString: strerror(error)) }
        }
    }

    /// Waits until the finished file is closed; throws when any write failed (a full disk, say).
    func closed() throws(InputError) {
        syncing.sync {}
        if let failed {
            unlink(temporaryPath)
            throw InputError("cannot write \(path): \(failed)")
        }
    }

    /// Gives the finished file its real name.
    func commit() throws(InputError) {
        if rename(temporaryPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw InputError("cannot write \(path): \(reason)")
        }
    }

    func discard() { unlink(temporaryPath) }
}

/// JSON string literal.
func jsonString(_ value: String) -> String {
    var out = "\""
    for ch in value.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where ch.value < 0x20:
            let hex = String(ch.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(ch)
        }
    }
    return out + "\""
}
