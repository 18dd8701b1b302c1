import CZstd

/// Decompresses a zstd stream of one or many frames (a frame may end anywhere, even mid-line).
public final class ZstdSource: ByteSource {
    private let upstream: ByteSource
    private let context: OpaquePointer
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var upstreamEnded = false
    /// What the last call left unfinished: 0 when the last frame is complete.
    private var pending = 0
    private var sawInput = false

    public init(_ upstream: ByteSource) throws(InputError) {
        guard let dctx = ZSTD_createDCtx() else { throw InputError("zstd: cannot create a decompression context") }
        self.upstream = upstream
        context = dctx
        input = .allocate(byteCount: ZSTD_DStreamInSize(), alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(context)
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
        while out.pos < out.size {
            if inputStart == inputEnd && !upstreamEnded {
                inputStart = 0
                inputEnd = try upstream.read(into: input)
                if inputEnd == 0 { upstreamEnded = true } else { sawInput = true }
            }
            if inputStart == inputEnd && upstreamEnded {
                if pending == 0 { break }
                let before = out.pos
                var none = ZSTD_inBuffer(src: input.baseAddress, size: 0, pos: 0)
                pending = try check(ZSTD_decompressStream(context, &out, &none))
                if out.pos == before {
                    if pending != 0 { throw InputError("zstd: truncated stream (the last frame is incomplete)") }
                    break
                }
                continue
            }
            var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: inputEnd, pos: inputStart)
            pending = try check(ZSTD_decompressStream(context, &out, &inBuffer))
            inputStart = inBuffer.pos
            if out.pos > 0 && inputStart == inputEnd { break }
        }
        return out.pos
    }

    private func check(_ code: Int) throws(InputError) -> Int {
        if ZSTD_isError(code) != 0 {
            let name = String(cString: ZSTD_getErrorName(code))
            throw InputError(sawInput ? "zstd: \(name)" : "zstd: empty input")
        }
        return code
    }
}
