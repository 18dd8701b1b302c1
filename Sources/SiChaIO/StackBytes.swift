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
