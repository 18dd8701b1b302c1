#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Converts another source from a legacy encoding (GB18030) to UTF-8.
///
/// A byte sequence that is not valid in the source encoding becomes the byte 0xFF, which is never
/// valid UTF-8, so that the record holding it is rejected for its encoding instead of being
/// silently altered.
public final class IconvSource: ByteSource {
    private let upstream: ByteSource
    private let converter: iconv_t
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    private let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 17, alignment: 16)
    private var inputStart = 0, inputEnd = 0, upstreamEnded = false
    private var outputStart = 0, outputEnd = 0

    public init(_ upstream: ByteSource, from encoding: String) throws(InputError) {
        guard let cd = iconv_open("UTF-8", encoding), cd != iconv_t(bitPattern: -1) else {
            throw InputError("encoding \(encoding) is not available")
        }
        self.upstream = upstream
        converter = cd
    }

    deinit {
        iconv_close(converter)
        input.deallocate()
        output.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if outputStart == outputEnd { try fill() }
        let n = min(buffer.count, outputEnd - outputStart)
        if n > 0 { buffer.baseAddress!.copyMemory(from: output.baseAddress! + outputStart, byteCount: n) }
        outputStart += n
        return n
    }

    private func fill() throws(InputError) {
        outputStart = 0; outputEnd = 0
        while outputEnd == 0 {
            if inputEnd - inputStart < 8 && !upstreamEnded {
                // Keep a partial character at the front and top the buffer up.
                let left = inputEnd - inputStart
                if left > 0 { input.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: left) }
                inputStart = 0; inputEnd = left
                let n = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: input[inputEnd...]))
                if n == 0 { upstreamEnded = true } else { inputEnd += n }
                continue
            }
            if inputStart == inputEnd { return }
            var inPtr: UnsafeMutablePointer<CChar>? = (input.baseAddress! + inputStart).assumingMemoryBound(to: CChar.self)
            var inLeft = inputEnd - inputStart
            var outPtr: UnsafeMutablePointer<CChar>? = output.baseAddress!.assumingMemoryBound(to: CChar.self)
            var outLeft = output.count
            let failure = iconv(converter, &inPtr, &inLeft, &outPtr, &outLeft) == -1 ? errno : 0
            inputStart = inputEnd - inLeft
            outputEnd = output.count - outLeft
            if (failure == EILSEQ || (failure == EINVAL && upstreamEnded)) && outputEnd < output.count {
                output[outputEnd] = 0xFF
                outputEnd += 1
                inputStart += 1
            }
        }
    }
}
