import Foundation
import Testing
import CZstd
@testable import SiChaIO

/// `bytes` as one zstd frame, with a checksum if asked, and their size in the header unless not.
func compressFrame(_ bytes: [UInt8], checksum: Bool = false, sizeInHeader: Bool = true) -> [UInt8] {
    let context = ZSTD_createCCtx()
    defer { ZSTD_freeCCtx(context) }
    ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, checksum ? 1 : 0)
    ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, sizeInHeader ? 1 : 0)
    var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
    let n = out.withUnsafeMutableBytes { dst in
        bytes.withUnsafeBytes { src in ZSTD_compress2(context, dst.baseAddress, dst.count, src.baseAddress, src.count) }
    }
    precondition(ZSTD_isError(n) == 0)
    return Array(out[0..<n])
}

/// What each read of `source` into a buffer of `chunk` bytes gives, one read after another, to its end.
func reads(_ source: ByteSource, chunk: Int) throws -> [[UInt8]] {
    var out: [[UInt8]] = []
    var buffer = [UInt8](repeating: 0, count: chunk)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { return out }
        out.append(Array(buffer[0..<n]))
    }
}

func drain(_ source: ByteSource, chunk: Int) throws -> [UInt8] { Array(try reads(source, chunk: chunk).joined()) }

/// Where the frames of the file at `path` start and where it ends, or nil when they do not all make sense.
func boundaries(_ path: String) -> [Int]? {
    guard let frames = ZstdFrames(path: path) else { return nil }
    var ends = [0]
    while let end = frames.next() { ends.append(end) }
    return frames.malformed ? nil : ends
}

@Suite struct ZstdSourceTests {
    @Test(arguments: [1, 3, 4096, 1 << 20])
    func framesMayEndMidLine(chunk: Int) throws {
        let text = Array("id,name\n1,张三\n2,李四\n".utf8)
        let compressed = compressFrame(Array(text[0..<11])) + compressFrame(Array(text[11...]))
        let source = try ZstdSource(MemorySource(compressed, chunk: chunk))
        #expect(try drain(source, chunk: chunk) == text)
    }

    /// Frames of each kind the format allows, one after another: where each starts is found from
    /// the headers alone, and nothing but whole frames is taken.
    @Test func frameBoundariesAreFoundFromTheHeaders() throws {
        let text = Array(String(repeating: "530102201203050011,张三,1,2012-03-05\n", count: 5000).utf8)
        var rng = SplitMix(seed: 7)
        let noise = (0..<300_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let frames: [[UInt8]] = [
            compressFrame(text),                                        // its size in the header, one segment
            compressFrame([]),                                          // empty
            [0x5A, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 0x28, 0xB5, 0x2F],     // skippable
            compressFrame(noise),                                       // raw blocks
            compressFrame([UInt8](repeating: 0x61, count: 400_000)),    // RLE blocks
            compressFrame(text, checksum: true, sizeInHeader: false),   // a window size and a checksum
        ]
        let bytes = Array(frames.joined())
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sicha-frames.zst").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(boundaries(path) == frames.reduce(into: [0]) { $0.append($0.last! + $1.count) })
        #expect(try drain(ZstdSource(FileSource(path: path)), chunk: 1 << 16) == text + noise + [UInt8](repeating: 0x61, count: 400_000) + text)
        // One frame read by its range alone.
        let third = frames[0].count + frames[1].count + frames[2].count
        #expect(try drain(ZstdSource(FileSource(path: path, range: third ..< third + frames[3].count)), chunk: 4096) == noise)
        for broken in [Array(bytes.dropLast()), bytes + [0x28], bytes + Array("id\n".utf8), Array(bytes[1...])] {
            try Data(broken).write(to: URL(fileURLWithPath: path))
            #expect(boundaries(path) == nil)
        }
    }

    /// A read ends with a frame when the next is larger than the room left, so that it starts a
    /// read with the whole buffer (and can be decoded straight into it); frames that fit go on
    /// filling it, however many. A frame larger than the input the source holds (noise does not
    /// compress) comes in pieces, as a stream.
    @Test(arguments: [1, 4096, 1 << 20])
    func aReadEndsBeforeAFrameThatDoesNotFit(upstreamChunk: Int) throws {
        func reads(_ compressed: [UInt8], into size: Int) throws -> (sizes: [Int], text: [UInt8]) {
            let pieces = try SiChaIOTests.reads(ZstdSource(MemorySource(compressed, chunk: upstreamChunk)), chunk: size)
            return (pieces.map(\.count), Array(pieces.joined()))
        }
        let row = Array("530102201203050011,张三,1,2012-03-05\n".utf8)
        let a = Array([[UInt8]](repeating: row, count: 2500).joined()), b = row, c = Array(a.reversed())
        let big = try reads(compressFrame(a) + compressFrame(b) + compressFrame(c), into: a.count + 5000)
        #expect(big.text == a + b + c)
        #expect(big.sizes == [a.count + b.count, c.count])
        let tiny = try reads(Array((0..<2000).map { compressFrame(Array("\($0),a\n".utf8)) }.joined()), into: 1 << 16)
        #expect(tiny.text == Array((0..<2000).map { "\($0),a\n" }.joined().utf8))
        #expect(tiny.sizes.count == 1)
        var rng = SplitMix(seed: 11)
        let noise = (0..<(ZstdSource.inputSize + 100_000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let pieces = try reads(compressFrame(noise) + compressFrame(a), into: 1 << 20)
        #expect(pieces.text == noise + a)
        #expect(pieces.sizes.count > 1)
    }

    @Test func truncatedStreamIsAnError() throws {
        let compressed = compressFrame(Array(String(repeating: "a,b\n", count: 1000).utf8))
        let source = try ZstdSource(MemorySource(Array(compressed.dropLast(3))))
        #expect(throws: InputError.self) { try drain(source, chunk: 64) }
    }

    @Test func wrongMagicIsAnError() throws {
        let source = try ZstdSource(MemorySource(Array("id,name\n1,a\n".utf8)))
        let error = #expect(throws: InputError.self) { try drain(source, chunk: 64) }
        #expect(error?.message.hasPrefix("zstd:") == true)
    }

    @Test func gb18030IsConvertedAndBadBytesBecomeInvalidUTF8() throws {
        // 张三 in GB18030 is D5 C5 C8 FD; 0x80 alone is not a GB18030 character.
        let source = try IconvSource(MemorySource([0x61, 0x2C, 0xD5, 0xC5, 0xC8, 0xFD, 0x0A, 0x80, 0x0A], chunk: 1), from: "GB18030")
        let out = try drain(source, chunk: 2)
        #expect(out == Array("a,张三\n".utf8) + [0xFF, 0x0A])
    }
}

@Suite struct ZstdMutationTests {
    /// A damaged stream is read to the end or stops with an InputError; it never crashes or hangs.
    @Test(arguments: 0..<200)
    func damagedStreamsFailCleanly(seed: Int) {
        var rng = SplitMix(seed: UInt64(seed))
        let text = Array(String(repeating: "530102201203050011,张三,1,2012-03-05\n", count: 200).utf8)
        var bytes = compressFrame(Array(text[0..<3000])) + compressFrame(Array(text[3000...]))
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            let at = Int(rng.next() % UInt64(bytes.count))
            switch rng.next() % 3 {
            case 0: bytes[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            case 1: bytes.removeSubrange(at...)
            default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
            }
            if bytes.isEmpty { break }
        }
        do {
            let out = try drain(try ZstdSource(MemorySource(bytes, chunk: 1 + Int(rng.next() % 5000))), chunk: 4096)
            #expect(out.count <= text.count * 2)
        } catch {
            #expect(error is InputError)
        }
    }
}
