/// Serves some bytes already read, then the rest of another source.
public final class PrefixedSource: ByteSource {
    private var prefix: [UInt8]
    private var position = 0
    private let rest: ByteSource

    public init(_ prefix: [UInt8], then rest: ByteSource) {
        self.prefix = prefix
        self.rest = rest
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if position < prefix.count {
            let n = min(buffer.count, prefix.count - position)
            prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
            position += n
            if position == prefix.count { prefix = [] ; position = 0 }
            return n
        }
        return try rest.read(into: buffer)
    }
}
