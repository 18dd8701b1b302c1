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
        input = .allocate(byteCount: ZstdSource.inputSize, alignment: 16)
    }

    /// Compressed bytes held: room for a whole frame of a megabyte of text (about 300 KB).
    static let inputSize = 1 << 19

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

    /// Returns at the end of a frame when the next one says it is larger than the room left, so
    /// that it starts with the whole of the caller's buffer: a frame that fits there, and in the
    /// input, is decoded straight into it (zstd's single pass), not through the decoder's own
    /// window and then copied. Smaller frames go on filling the buffer.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
        while out.pos < out.size {
            if pending == 0 && !upstreamEnded { try holdWholeFrame() }
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
            if out.pos > 0 && (inputStart == inputEnd || pending == 0 && !nextFrameFits(out.size - out.pos)) { break }
        }
        return out.pos
    }

    /// Whether the frame that starts the input may fit in `room` bytes: false only when its header
    /// says it is larger.
    private func nextFrameFits(_ room: Int) -> Bool {
        let size = ZSTD_getFrameContentSize(input.baseAddress! + inputStart, inputEnd - inputStart)
        return size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size <= UInt64(room)
    }

    /// At the start of a frame: reads on until the input holds all of it, when it fits.
    private func holdWholeFrame() throws(InputError) {
        let held = inputEnd - inputStart
        if held == input.count || held > 0 && ZSTD_isError(ZSTD_findFrameCompressedSize(input.baseAddress! + inputStart, held)) == 0 {
            return
        }
        if inputStart > 0 { input.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: held) }
        (inputStart, inputEnd) = (0, held)
        while inputEnd < input.count {
            let n = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: input[inputEnd...]))
            if n == 0 {
                upstreamEnded = true
                return
            }
            inputEnd += n
            sawInput = true
        }
    }

    private func check(_ code: Int) throws(InputError) -> Int {
        if ZSTD_isError(code) != 0 {
            let name = String(cString: ZSTD_getErrorName(code))
            throw InputError(sawInput ? "zstd: \(name)" : "zstd: empty input")
        }
        return code
    }
}

/// The frames of the zstd file at a path, found one after another from their frame and block
/// headers alone (RFC 8878), without decompressing: each frame can be decompressed on its own.
/// The file is walked only as far as frames are asked for, so that a caller can start on the first
/// frames while the rest are found.
public final class ZstdFrames {
    private let fd: Int32
    /// The size of the file.
    public let size: Int
    /// Where the next frame starts.
    private var at = 0
    /// Set once the headers do not make sense: the file is not made of whole, well-formed frames
    /// from there on, and reading it as one stream from there says what is wrong.
    public private(set) var malformed = false
    /// The headers are read through a window of the file. At 4 KiB it mostly holds one block
    /// header (some 35 KiB apart in a register), or several whole small frames; at 64 KiB walking a
    /// 10M hukou register copied 216 MB (30 ms, against 9).
    private var window = [UInt8](repeating: 0, count: 1 << 12), windowStart = 0, windowCount = 0

    /// Nil when the path is not a regular file that can be opened.
    public init?(path: String) {
        fd = open(path, O_RDONLY)
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            if fd >= 0 { close(fd) }
            return nil
        }
        size = Int(info.st_size)
    }

    deinit { close(fd) }

    /// Where the next frame ends; nil at the end of the file, or when the headers do not make
    /// sense (`malformed`).
    public func next() -> Int? {
        guard !malformed, at < size else { return nil }
        guard let end = frameEnd(at), end <= size else {
            malformed = true
            return nil
        }
        at = end
        return end
    }

    /// Where the frame that starts at `start` ends, by its headers.
    private func frameEnd(_ start: Int) -> Int? {
        var at = start
        guard let magic = read(4, at: at) else { return nil }
        if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
            // A skippable frame: its size follows the magic number.
            guard let length = read(4, at: at + 4) else { return nil }
            return at + 8 + Int(length)
        }
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
        return descriptor & 0x04 != 0 ? at + 4 : at
    }

    /// The `count` (at most 4) bytes at `offset` as a little-endian number, or nil past the end.
    private func read(_ count: Int, at offset: Int) -> UInt32? {
        guard offset + count <= size else { return nil }
        if offset < windowStart || offset + count > windowStart + windowCount {
            windowStart = offset
            windowCount = window.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard windowCount >= count else { return nil }
        }
        return (0..<count).reversed().reduce(0) { $0 << 8 | UInt32(window[offset - windowStart + $1]) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
