/// What is wrong with a record as CSV.
public enum CSVProblem: Equatable, Sendable, CustomStringConvertible {
    /// A quote inside an unquoted field, or text after a closing quote.
    case brokenQuoting
    /// The record runs past `CSVReader.maxRecordBytes`.
    case tooLong
    /// A quoted field is still open at the end of the input.
    case unclosedQuote

    public var description: String {
        switch self {
        case .brokenQuoting: return "broken quoting"
        case .tooLong: return "record longer than 1 MiB"
        case .unclosedQuote: return "quote still open at the end of the input"
        }
    }
}

/// Streams RFC 4180 records from a byte source, with the physical line where each starts.
///
/// Memory is bounded by the buffer: one read plus the longest allowed record. A record longer than
/// 1 MiB, or one whose quote is still open at the end of the input, comes back once with its
/// `problem` set, and reading resumes at the line after the one where it began. Blank lines are
/// not records. A UTF-8 byte-order mark at the start of the stream is skipped.
///
/// The fields and `raw` of the current record are valid until the next call to `next()`.
public final class CSVReader {
    // The reader is used by one thread at a time and never hands out its state for modification,
    // so its variables are not checked for exclusive access at run time (the checks cost ~5%).
    public static let maxRecordBytes = 1 << 20

    private let source: ByteSource?
    private let readSize: Int
    private let capacity: Int
    private let buffer: UnsafeMutablePointer<UInt8>
    private let ownsBuffer: Bool
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var end = 0
    @exclusivity(unchecked) private var eof = false
    @exclusivity(unchecked) private var atStreamStart = true
    @exclusivity(unchecked) private var nextLine = 1
    /// Set after a too-long record or an unclosed quote: skip to the line after `resumeLine - 1`.
    @exclusivity(unchecked) private var skipping = false
    @exclusivity(unchecked) private var resumeLine = 0
    /// The last byte read from the source, and whether a quote was still open at its end.
    @exclusivity(unchecked) private var lastByte: UInt8 = 0x0A
    @exclusivity(unchecked) private var quoteLeftOpen = false
    /// Records returned since the last report to `ReadProgress.shared`.
    @exclusivity(unchecked) private var uncountedRows = 0

    /// The bytes from `start` up to here hold no quote (see `findQuote()`); below `start` when not known.
    @exclusivity(unchecked) private var quoteFree = -1

    private let scratch: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var scratchUsed = 0
    @usableFromInline @exclusivity(unchecked) var fieldStorage: UnsafeMutablePointer<UnsafeRawBufferPointer>
    @exclusivity(unchecked) private var fieldCapacity = 64

    /// Number of fields of the current record.
    @exclusivity(unchecked) public private(set) var fieldCount = 0
    /// The physical line (1-based) where the current record starts. (Read through an inlinable
    /// getter: a getter inlined into another module by the optimizer checks access at run time.)
    @inlinable public var line: Int { currentLine }
    @usableFromInline @exclusivity(unchecked) var currentLine = 0
    /// The bytes of the current record as read (for a record with a problem, at most its first 1 MiB).
    @exclusivity(unchecked) public private(set) var raw = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Set when the current record is not valid CSV.
    @exclusivity(unchecked) public private(set) var problem: CSVProblem?

    /// `readSize` is how many bytes one call to the source asks for (tests vary it down to 1): by
    /// default more than a zstd frame of a megabyte of text and the row that ends it, so that such
    /// a frame is decoded straight into the buffer (see `ZstdSource.read`). A reader that takes a
    /// stream over `afterStart` skips no byte-order mark.
    public init(source: ByteSource, readSize: Int = 2 << 20, firstLine: Int = 1, afterStart: Bool = false) {
        self.source = source
        self.readSize = max(1, readSize)
        capacity = CSVReader.maxRecordBytes + self.readSize + 4
        buffer = .allocate(capacity: capacity)
        ownsBuffer = true
        scratch = .allocate(capacity: CSVReader.maxRecordBytes + 4)
        fieldStorage = .allocate(capacity: fieldCapacity)
        restart(firstLine: firstLine, afterStart: afterStart)
    }

    /// Reads the source from where it now is as a new stream, keeping the buffers: for a source
    /// that was restarted on other bytes.
    public func restart(firstLine: Int = 1, afterStart: Bool) {
        (start, end, eof, atStreamStart, nextLine) = (0, 0, false, !afterStart, firstLine)
        (skipping, quoteFree, lastByte, quoteLeftOpen) = (false, -1, 0x0A, false)
    }

    /// Reads records from bytes already in memory that start at a record boundary on `firstLine`
    /// (a chunk of a larger stream). `bytes` must stay valid while the reader is used.
    public init(chunk bytes: UnsafeBufferPointer<UInt8>, firstLine: Int) {
        source = nil
        readSize = 1
        capacity = bytes.count
        buffer = UnsafeMutablePointer(mutating: bytes.baseAddress ?? UnsafePointer(UnsafeMutablePointer<UInt8>.allocate(capacity: 1)))
        ownsBuffer = bytes.baseAddress == nil
        end = bytes.count
        eof = true
        atStreamStart = false
        nextLine = firstLine
        scratch = .allocate(capacity: CSVReader.maxRecordBytes + 4)
        fieldStorage = .allocate(capacity: fieldCapacity)
    }

    /// The bytes read from the source but not yet consumed, and the line they start on: lets a
    /// caller take the stream over at a record boundary after reading the header.
    public var remainder: (bytes: UnsafeRawBufferPointer, line: Int) {
        (UnsafeRawBufferPointer(start: buffer + start, count: end - start), nextLine)
    }

    /// Once `next()` has returned false: whether the input ended where a record ends, after a line
    /// feed outside quotes with no line being skipped, so that a stream cut there can be read on
    /// from the cut by a reader of its own.
    public var endsAtRecordBoundary: Bool { eof && start == end && !skipping && !quoteLeftOpen && lastByte == 0x0A }

    deinit {
        if uncountedRows > 0 { ReadProgress.shared.add(rows: uncountedRows) }
        if ownsBuffer { buffer.deallocate() }
        scratch.deallocate()
        fieldStorage.deallocate()
    }

    /// Field `i` of the current record (`0 ..< fieldCount`), quotes removed and `""` unescaped.
    @inlinable @inline(__always)
    public func field(_ i: Int) -> UnsafeRawBufferPointer { fieldStorage[i] }

    /// Moves to the next record; false at the end of the input.
    public func next() throws(InputError) -> Bool {
        while true {
            if skipping {
                if let lf = findLineFeed(from: start) {
                    start = lf + 1
                    nextLine = resumeLine
                    skipping = false
                } else {
                    start = end
                    if eof { return false }
                    try refill()
                    continue
                }
            }
            switch parse() {
            case .record(let length, let lines, let broken):
                let blank = fieldCount == 1 && fieldStorage[0].isEmpty
                if length > CSVReader.maxRecordBytes { return reject(.tooLong, length: CSVReader.maxRecordBytes) }
                raw = UnsafeRawBufferPointer(start: buffer + start, count: length)
                currentLine = nextLine
                nextLine += lines
                start += length
                if blank && !broken { continue }
                problem = broken ? .brokenQuoting : nil
                uncountedRows += 1
                return true
            case .unclosedQuote:
                quoteLeftOpen = true
                return reject(.unclosedQuote, length: end - start)
            case .endOfInput:
                return false
            case .needMore:
                if end - start > CSVReader.maxRecordBytes { return reject(.tooLong, length: CSVReader.maxRecordBytes) }
                try refill()
            }
        }
    }

    @inline(never)
    private func reject(_ why: CSVProblem, length: Int) -> Bool {
        fieldCount = 0
        problem = why
        raw = UnsafeRawBufferPointer(start: buffer + start, count: min(length, end - start))
        currentLine = nextLine
        resumeLine = nextLine + 1
        skipping = true
        uncountedRows += 1
        return true
    }

    private func findLineFeed(from position: Int) -> Int? {
        var p = position
        while p < end {
            if buffer[p] == 0x0A { return p }
            p += 1
        }
        return nil
    }

    private func refill() throws(InputError) {
        guard !eof, let source else { eof = true; return }
        if uncountedRows > 0 {
            ReadProgress.shared.add(rows: uncountedRows)
            uncountedRows = 0
        }
        if capacity - end < readSize {
            let live = end - start
            if live > 0 { (buffer).update(from: buffer + start, count: live) }
            start = 0; end = live
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: min(readSize, capacity - end)))
        if n == 0 { eof = true } else { lastByte = buffer[end + n - 1] }
        end += n
        quoteFree = -1
        if atStreamStart {
            if end - start >= 3 || eof {
                if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF { start += 3 }
                atStreamStart = false
            }
        }
    }

    private enum ParseResult {
        case record(length: Int, lines: Int, broken: Bool)
        case needMore, unclosedQuote, endOfInput
    }

    @inline(__always)
    private func appendField(_ from: UnsafePointer<UInt8>, _ count: Int) {
        if fieldCount == fieldCapacity { growFields() }
        fieldStorage[fieldCount] = UnsafeRawBufferPointer(start: from, count: count)
        fieldCount += 1
    }

    /// The last field of a record, from `from` up to its line end at `to`, without a carriage return before it.
    @inline(__always)
    private func appendLastField(_ from: Int, _ to: Int) {
        appendField(buffer + from, to - from - (to > from && buffer[to - 1] == 0x0D ? 1 : 0))
    }

    @inline(never)
    private func growFields() {
        let bigger = UnsafeMutablePointer<UnsafeRawBufferPointer>.allocate(capacity: fieldCapacity * 2)
        bigger.moveInitialize(from: fieldStorage, count: fieldCount)
        fieldStorage.deallocate()
        fieldStorage = bigger
        fieldCapacity *= 2
    }

    /// Where the next quote after `start` is, or the end of what is read: memchr runs at many
    /// bytes a cycle, and most text holds no quote at all.
    private func findQuote() {
        quoteFree = memchr(buffer + start, 0x22, end - start).map { buffer.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? end
    }

    /// Tokenises the record that starts at `start`, without consuming it.
    private func parse() -> ParseResult {
        if atStreamStart { return .needMore }
        fieldCount = 0
        scratchUsed = 0
        if quoteFree < start { findQuote() }
        // Where no quote can be, a field ends at the next comma and the record at the next line
        // feed: eight bytes are looked at a time, and every comma among them ends a field.
        var fieldStart = start
        var p = start
        while p + 8 <= quoteFree {
            let w = UnsafeRawPointer(buffer + p).loadUnaligned(as: UInt64.self)
            var separators = CSVReader.exactZeroBytes(w ^ 0x2C2C_2C2C_2C2C_2C2C) | CSVReader.exactZeroBytes(w ^ 0x0A0A_0A0A_0A0A_0A0A)
            while separators != 0 {
                let q = p + separators.trailingZeroBitCount >> 3
                separators &= separators &- 1
                if buffer[q] == 0x0A {
                    appendLastField(fieldStart, q)
                    return .record(length: q + 1 - start, lines: 1, broken: false)
                }
                appendField(buffer + fieldStart, q - fieldStart)
                fieldStart = q + 1
            }
            p += 8
        }
        // The rest of the record field by field, quotes and all.
        p = fieldStart
        var lines = 0
        var broken = false
        while true {
            if p == end {
                if !eof { return .needMore }
                if p == start { return .endOfInput }
                appendField(buffer + p, 0)
                return .record(length: p - start, lines: lines, broken: broken)
            }
            if buffer[p] == 0x22 {
                switch parseQuoted(&p, &lines, &broken) {
                case .some(let result): return result
                case .none: continue
                }
            }
            let fieldStart = p
            // Skip eight bytes at a time to the next comma, line feed or quote.
            while p + 8 <= end {
                let w = UnsafeRawPointer(buffer + p).loadUnaligned(as: UInt64.self)
                let special = CSVReader.zeroBytes(w ^ 0x2C2C_2C2C_2C2C_2C2C) | CSVReader.zeroBytes(w ^ 0x0A0A_0A0A_0A0A_0A0A)
                    | CSVReader.zeroBytes(w ^ 0x2222_2222_2222_2222)
                if special != 0 {
                    p += special.trailingZeroBitCount >> 3
                    break
                }
                p += 8
            }
            while p < end {
                let c = buffer[p]
                if c == 0x2C || c == 0x0A { break }
                if c == 0x22 { broken = true }
                p += 1
            }
            if p == end {
                if !eof { return .needMore }
                appendLastField(fieldStart, p)
                return .record(length: p - start, lines: lines, broken: broken)
            }
            if buffer[p] == 0x2C {
                appendField(buffer + fieldStart, p - fieldStart)
                p += 1
                if p == end && eof {
                    appendField(buffer + p, 0)
                    return .record(length: p - start, lines: lines, broken: broken)
                }
                continue
            }
            appendLastField(fieldStart, p)
            return .record(length: p + 1 - start, lines: lines + 1, broken: broken)
        }
    }

    /// A quoted field at `p`: unescapes it into the scratch buffer. Returns nil when the record
    /// continues with another field, or the result that ends the record.
    @inline(never)
    private func parseQuoted(_ p: inout Int, _ lines: inout Int, _ broken: inout Bool) -> ParseResult? {
        let fieldStart = scratch + scratchUsed
        var q = p + 1
        while true {
            guard q < end else { return eof ? .unclosedQuote : .needMore }
            let c = buffer[q]
            if c == 0x22 {
                guard q + 1 < end || eof else { return .needMore }
                if q + 1 < end && buffer[q + 1] == 0x22 {
                    push(0x22); q += 2
                    continue
                }
                q += 1
                break
            }
            if c == 0x0A { lines += 1 }
            if scratchUsed > CSVReader.maxRecordBytes { return .needMore }
            push(c); q += 1
        }
        // After the closing quote: a separator, a line end, or (broken) more text up to one.
        while q < end {
            let c = buffer[q]
            if c == 0x2C || c == 0x0A { break }
            if c == 0x0D && (q + 1 == end || buffer[q + 1] == 0x0A) {
                if q + 1 == end && !eof { return .needMore }
                q += 1
                continue
            }
            broken = true
            push(c); q += 1
        }
        if q == end && !eof { return .needMore }
        appendField(fieldStart, scratch + scratchUsed - fieldStart)
        if q == end { return .record(length: q - start, lines: lines, broken: broken) }
        if buffer[q] == 0x0A { return .record(length: q + 1 - start, lines: lines + 1, broken: broken) }
        p = q + 1
        if p == end && eof {
            appendField(buffer + p, 0)
            return .record(length: p - start, lines: lines, broken: broken)
        }
        return nil
    }

    /// The high bit of each byte of `w` that is zero; the lowest one set is exact (little-endian).
    @inline(__always)
    private static func zeroBytes(_ w: UInt64) -> UInt64 {
        (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080
    }

    /// The high bit of each byte of `w` that is zero, every one exact (no borrow between bytes).
    @inline(__always)
    private static func exactZeroBytes(_ w: UInt64) -> UInt64 {
        ~(((w & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | w) & 0x8080_8080_8080_8080
    }

    @inline(__always)
    private func push(_ byte: UInt8) {
        scratch[scratchUsed] = byte
        scratchUsed += 1
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
