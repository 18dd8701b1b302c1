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
