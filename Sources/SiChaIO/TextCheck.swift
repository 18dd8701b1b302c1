/// Byte-level checks of text that CSV records must pass before they are decoded.
public enum TextCheck {
    /// Why `bytes` cannot be text: a NUL byte or invalid UTF-8; nil when it is fine.
    public static func encodingProblem(_ bytes: UnsafeRawBufferPointer) -> String? {
        var i = 0
        let n = bytes.count
        while i < n {
            // Sixteen, then eight bytes at a time while they are ASCII without NUL; in the first word
            // that is not, straight to its first such byte (the lowest flag is exact: a borrow only runs up).
            while i + 16 <= n {
                let a = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self), b = bytes.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
                if (a | b | ((a &- 0x0101_0101_0101_0101) & ~a) | ((b &- 0x0101_0101_0101_0101) & ~b)) & 0x8080_8080_8080_8080 != 0 { break }
                i += 16
            }
            if i == n { break }
            if i + 8 <= n {
                let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let flags = (w | ((w &- 0x0101_0101_0101_0101) & ~w)) & 0x8080_8080_8080_8080
                if flags == 0 { i += 8; continue }
                i += flags.trailingZeroBitCount >> 3
            }
            let b = bytes[i]
            if b == 0 { return "bad encoding: NUL byte" }
            if b < 0x80 { i += 1; continue }
            // Most other characters are Chinese: three bytes from E1 to EC, then two continuation
            // bytes, checked in one load when four bytes are left.
            if b &- 0xE1 < 12 {
                if i + 4 <= n {
                    if bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self) & 0xC0_C000 == 0x80_8000 {
                        i += 3
                        // Chinese characters come in runs (names): the rest of the run.
                        while i + 4 <= n, bytes[i] &- 0xE1 < 12, bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self) & 0xC0_C000 == 0x80_8000 { i += 3 }
                        continue
                    }
                } else if i + 3 <= n, bytes[i + 1] & 0xC0 == 0x80, bytes[i + 2] & 0xC0 == 0x80 {
                    i += 3
                    continue
                }
            }
            let length: Int
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return "bad encoding: invalid UTF-8"
            }
            guard i + length <= n else { return "bad encoding: invalid UTF-8" }
            for k in 1..<length where bytes[i + k] & 0xC0 != 0x80 { return "bad encoding: invalid UTF-8" }
            let b1 = bytes[i + 1]
            if (b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 > 0x9F) || (b == 0xF0 && b1 < 0x90) || (b == 0xF4 && b1 > 0x8F) {
                return "bad encoding: invalid UTF-8"
            }
            i += length
        }
        return nil
    }

    /// At most `limit` bytes of `bytes` as a string, cut at a character boundary, invalid UTF-8 replaced.
    /// A trailing line end is not part of the row.
    public static func excerpt(_ bytes: UnsafeRawBufferPointer, limit: Int = 200) -> String {
        var length = bytes.count
        if length > 0 && bytes[length - 1] == 0x0A { length -= 1 }
        if length > 0 && bytes[length - 1] == 0x0D { length -= 1 }
        let bytes = UnsafeRawBufferPointer(rebasing: bytes[0..<length])
        var cut = min(limit, bytes.count)
        while cut > 0, cut < bytes.count, bytes[cut] & 0xC0 == 0x80, cut > limit - 4 { cut -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<cut]), as: UTF8.self)
    }
}
