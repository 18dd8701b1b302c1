/// Calls `body` with `count` bytes (at most 32) of memory on the stack: for the few characters of
/// a number being formatted, without the cost `withUnsafeTemporaryAllocation` has where its result
/// type is left generic.
@inlinable @inline(__always)
public func withStackBytes<R>(_ count: Int, _ body: (UnsafeMutableBufferPointer<UInt8>) -> R) -> R {
    var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    return withUnsafeMutableBytes(of: &storage) { raw in
        body(UnsafeMutableBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: min(count, raw.count)))
    }
}

/// Calls `body` with the `count` bytes (at most 32) that `write` puts on the stack.
@inlinable @inline(__always)
public func withStackBytes<R>(_ count: Int, writtenBy write: (UnsafeMutableRawPointer) -> Void,
                              _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    withStackBytes(count) { out in
        write(UnsafeMutableRawPointer(out.baseAddress!))
        return body(UnsafeBufferPointer(out))
    }
}

/// Copies `bytes` to `to`. Most fields are short: those of up to 16 bytes are copied as two words
/// that may overlap, not by a call to memcpy.
@inlinable @inline(__always)
public func copyBytes(_ bytes: UnsafeRawBufferPointer, to: UnsafeMutableRawPointer) {
    guard let from = bytes.baseAddress else { return }
    let n = bytes.count
    switch n {
    case 8...16:
        to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
        to.storeBytes(of: from.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), toByteOffset: n - 8, as: UInt64.self)
    case 4..<8:
        to.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
        to.storeBytes(of: from.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self), toByteOffset: n - 4, as: UInt32.self)
    case 1..<4:
        to.storeBytes(of: bytes[0], as: UInt8.self)
        to.storeBytes(of: bytes[n / 2], toByteOffset: n / 2, as: UInt8.self)
        to.storeBytes(of: bytes[n - 1], toByteOffset: n - 1, as: UInt8.self)
    default:
        to.copyMemory(from: from, byteCount: n)
    }
}
