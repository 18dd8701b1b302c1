import Testing
import CZstd
@testable import SiChaIO

func compressFrame(_ bytes: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
    let n = out.withUnsafeMutableBytes { dst in
        bytes.withUnsafeBytes { src in ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, 3) }
    }
    precondition(ZSTD_isError(n) == 0)
    return Array(out[0..<n])
}

func drain(_ source: ByteSource, chunk: Int) throws -> [UInt8] {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: chunk)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { return out }
        out += buffer[0..<n]
    }
}

@Suite struct ZstdSourceTests {
    @Test(arguments: [1, 3, 4096, 1 << 20])
    func framesMayEndMidLine(chunk: Int) throws {
        let text = Array("id,name\n1,张三\n2,李四\n".utf8)
        let compressed = compressFrame(Array(text[0..<11])) + compressFrame(Array(text[11...]))
        let source = try ZstdSource(MemorySource(compressed, chunk: chunk))
        #expect(try drain(source, chunk: chunk) == text)
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
