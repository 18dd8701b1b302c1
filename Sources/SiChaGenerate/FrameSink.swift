import CZstd
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a corpus could not be written, in one line.
public struct GenerateError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A block of bytes handed from the generating thread to a sink, which frees it.
struct Frame: @unchecked Sendable {
    let base: UnsafeMutablePointer<UInt8>
    let count: Int
}

/// Writes the frames of one output file in the order they are submitted, each compressed into
/// an independent zstd frame (or written as it is for a plain file), on a queue of its own so
/// that compression overlaps generation. `limit` bounds the frames in flight over all sinks.
final class FrameSink: @unchecked Sendable {
    private let fd: Int32
    private let path: String
    private let level: Int32?
    private let queue: DispatchQueue
    private let limit: DispatchSemaphore
    private var context: OpaquePointer?
    private var compressed: UnsafeMutableRawPointer?
    private var compressedCapacity = 0
    private var failure: String?
    /// Bytes written to the file (read after `finish`).
    private(set) var bytesWritten = 0

    /// Creates (or truncates) `path`; `level` is the zstd level, nil for a plain file.
    init(path: String, level: Int32?, limit: DispatchSemaphore) throws(GenerateError) {
        let opened = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard opened >= 0 else { throw GenerateError("\(path): cannot create: \(String(cString: strerror(errno)))") }
        fd = opened
        self.path = path
        self.level = level
        self.limit = limit
        queue = DispatchQueue(label: "sicha.generate.sink")
        if level != nil {
            guard let cctx = ZSTD_createCCtx() else {
                close(opened)
                throw GenerateError("\(path): cannot create a zstd compression context")
            }
            context = cctx
        }
    }

    deinit {
        if let context { ZSTD_freeCCtx(context) }
        compressed?.deallocate()
    }

    /// Queues `frame` for writing and takes ownership of its memory.
    func submit(_ frame: Frame) {
        limit.wait()
        queue.async {
            self.write(frame)
            frame.base.deallocate()
            self.limit.signal()
        }
    }

    /// Waits for every queued frame and closes the file; throws the first write error.
    func finish() throws(GenerateError) {
        queue.sync {}
        if close(fd) != 0 && failure == nil { failure = "\(path): cannot close: \(String(cString: strerror(errno)))" }
        if let failure { throw GenerateError(failure) }
    }

    private func write(_ frame: Frame) {
        guard failure == nil else { return }
        guard let context, let level else { writeAll(UnsafeRawPointer(frame.base), frame.count); return }
        let bound = ZSTD_compressBound(frame.count)
        if bound > compressedCapacity {
            compressed?.deallocate()
            compressed = .allocate(byteCount: bound, alignment: 16)
            compressedCapacity = bound
        }
        let size = ZSTD_compressCCtx(context, compressed, compressedCapacity, frame.base, frame.count, level)
        if ZSTD_isError(size) != 0 {
            failure = "\(path): zstd: \(String(cString: ZSTD_getErrorName(size)))"
            return
        }
        writeAll(UnsafeRawPointer(compressed!), size)
    }

    private func writeAll(_ bytes: UnsafeRawPointer, _ count: Int) {
        var done = 0
        while done < count {
            let n = Glibc.write(fd, bytes + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                failure = "\(path): write failed: \(String(cString: strerror(errno)))"
                return
            }
            done += n
        }
        bytesWritten += count
    }
}
