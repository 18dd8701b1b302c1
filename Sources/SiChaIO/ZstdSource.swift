import CZstd

/// Decompresses a zstd stream of one or many frames (a frame may end anywhere, even mid-line).
public final class ZstdSource: ByteSource {
    private var upstream: ByteSource
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

    /// Starts on another stream, keeping the decoder and its buffers.
    public func restart(reading upstream: ByteSource) {
        self.upstream = upstream
        (inputStart, inputEnd, upstreamEnded, pending, sawInput) = (0, 0, false, 0, false)
        ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
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

/// Where the frames of the zstd file at `path` start, and where it ends: found from the frame and
/// block headers alone (RFC 8878), without decompressing. Each frame can be decompressed on its
/// own. Nil when the file is not a regular file made of whole, well-formed frames; reading it as
/// one stream then says what is wrong.
public func zstdFrameBoundaries(path: String) -> [Int]? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    let size = Int(info.st_size)
    // The headers are read through a window of 64 KiB of the file: small frames take one read
    // for many, large ones one for each header.
    var window = [UInt8](repeating: 0, count: 1 << 16), windowStart = 0, windowCount = 0
    /// The `count` (at most 4) bytes at `offset` as a little-endian number, or nil past the end.
    func read(_ count: Int, at offset: Int) -> UInt32? {
        guard offset + count <= size else { return nil }
        if offset < windowStart || offset + count > windowStart + windowCount {
            windowStart = offset
            windowCount = window.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard windowCount >= count else { return nil }
        }
        return (0..<count).reversed().reduce(0) { $0 << 8 | UInt32(window[offset - windowStart + $1]) }
    }
    var boundaries = [0]
    var at = 0
    while at < size {
        guard let magic = read(4, at: at) else { return nil }
        if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
            // A skippable frame: its size follows the magic number.
            guard let length = read(4, at: at + 4) else { return nil }
            at += 8 + Int(length)
        } else {
            guard magic == 0xFD2F_B528, let descriptor = read(1, at: at + 4), descriptor & 0x08 == 0 else { return nil }
            let singleSegment = descriptor & 0x20 != 0
            let contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][Int(descriptor >> 6)]
            at += 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][Int(descriptor & 3)] + contentSizeBytes
            while true {
                guard let header = read(3, at: at) else { return nil }
                let (last, type, blockSize) = (header & 1 != 0, (header >> 1) & 3, Int(header >> 3))
                guard type != 3 else { return nil }
                at += 3 + (type == 1 ? 1 : blockSize)
                if last { break }
            }
            if descriptor & 0x04 != 0 { at += 4 }
        }
        guard at <= size else { return nil }
        boundaries.append(at)
    }
    return boundaries
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
