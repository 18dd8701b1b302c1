/// A growing block of output bytes, handed to its sink whenever a record ends past `frameSize`.
///
/// Rows are written straight into raw memory with no per-byte checks: the block has 1 MiB of room
/// beyond `frameSize`, more than any row needs.
struct OutputBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    var count = 0
    let frameSize: Int
    let sink: FrameSink
    private static let slack = 1 << 20

    init(sink: FrameSink, frameSize: Int) {
        self.sink = sink
        self.frameSize = frameSize
        base = .allocate(capacity: frameSize + OutputBuffer.slack)
    }

    /// Call at a record's end: hands the block over once it holds `frameSize` bytes or more.
    @inline(__always)
    mutating func recordEnded() {
        if count >= frameSize { flush() }
    }

    /// Hands over what is buffered (if anything) and starts a new block.
    mutating func flush() {
        guard count > 0 else { return }
        sink.submit(Frame(base: base, count: count))
        base = .allocate(capacity: frameSize + OutputBuffer.slack)
        count = 0
    }

    /// Flushes, waits for the sink and frees the block.
    mutating func finish() throws(GenerateError) {
        flush()
        base.deallocate()
        try sink.finish()
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    @inline(__always)
    mutating func bytes(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        (base + count).update(from: text.utf8Start, count: n)
        count += n
    }

    mutating func bytes(_ array: [UInt8]) {
        array.withUnsafeBufferPointer { source in
            if let start = source.baseAddress { (base + count).update(from: start, count: source.count) }
        }
        count += array.count
    }

    mutating func bytes(_ text: String) {
        var text = text
        text.withUTF8 { source in
            if let start = source.baseAddress { (base + count).update(from: start, count: source.count) }
        }
        count += text.utf8.count
    }

    /// `value` as exactly `width` decimal digits (leading zeros kept, higher digits dropped).
    @inline(__always)
    mutating func number(_ value: UInt64, width: Int) {
        var v = value
        var i = count + width - 1
        while i >= count {
            base[i] = UInt8(truncatingIfNeeded: v % 10) | 0x30
            v /= 10
            i -= 1
        }
        count += width
    }

    /// A non-negative integer without leading zeros.
    mutating func decimal(_ value: Int) {
        var width = 1
        var limit = 10
        while value >= limit && width < 19 { width += 1; limit *= 10 }
        number(UInt64(value), width: width)
    }
}

extension OutputBuffer {
    /// An ID field spelled as `form` says.
    mutating func id(_ form: IDForm, _ p: Person) {
        switch form {
        case .plain:
            number(p.key, width: 17); byte(p.check)
        case .legacy15:
            number(p.key / 100_000_000_000, width: 6); number(p.key % 1_000_000_000, width: 9)
        case .fullWidth:
            fullWidth(p.key / 1_000_000_000, width: 8); fullWidth(p.key % 1_000_000_000, width: 9)
            if p.check == UInt8(ascii: "X") { byte(0xEF); byte(0xBC); byte(0xB8) }
            else { byte(0xEF); byte(0xBC); byte(0x90 + p.check - 0x30) }
        case .lowercaseX:
            number(p.key, width: 17); byte(p.check == UInt8(ascii: "X") ? UInt8(ascii: "x") : p.check)
        case .padded:
            byte(0x20); number(p.key, width: 17); byte(p.check); byte(0x20)
        case .none:
            break
        case .typo:
            // Any other check character: X becomes 0, 9 becomes X, a digit the next digit.
            let wrong = p.check == UInt8(ascii: "X") ? UInt8(ascii: "0") : p.check == UInt8(ascii: "9") ? UInt8(ascii: "X") : p.check + 1
            number(p.key, width: 17); byte(wrong)
        case .scientific:
            // A spreadsheet keeps six significant digits: the first six, as the seventh (the first
            // digit of the birth year) is below 5.
            var lead = p.key / 100_000_000_000
            var width = 5
            while width > 0 && lead % 10 == 0 { lead /= 10; width -= 1 }
            number(lead / pow10(width), width: 1)
            if width > 0 { byte(UInt8(ascii: ".")); number(lead, width: width) }
            bytes("E+17")
        case .zeroed:
            number(p.key / 100, width: 15); bytes("000")
        }
    }

    private mutating func fullWidth(_ value: UInt64, width: Int) {
        var divisor = pow10(width - 1)
        for _ in 0..<width {
            byte(0xEF); byte(0xBC); byte(0x90 + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    private func pow10(_ n: Int) -> UInt64 {
        var p: UInt64 = 1
        for _ in 0..<n { p *= 10 }
        return p
    }
}
