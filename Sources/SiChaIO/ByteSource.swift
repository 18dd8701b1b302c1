#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stream of bytes: a file, standard input, or a decoder wrapped around another source.
public protocol ByteSource: AnyObject {
    /// Fills the front of `buffer` and returns how many bytes were written; 0 only at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int
}

/// Why an input cannot be read. `description` is one line, without any record content.
public struct InputError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The size of `path` when it names a regular file, which can also be read a second time; nil for
/// standard input (`-`), a pipe or a FIFO (opening one to look could disturb it).
public func regularFileSize(_ path: String) -> Int? {
    var info = stat()
    guard path != "-", stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int(info.st_size)
}

/// The bytes of a file, or of standard input for `-`, read with `read(2)`; counted in `ReadProgress.shared`.
public final class FileSource: ByteSource {
    private let fd: Int32
    private let ownsDescriptor: Bool
    /// The size of the file in bytes, when it is a regular file.
    public let size: Int?
    /// The part of the file read so far (0 to 1), when it is a regular file.
    public var share: Double? { size.map { Double(bytesRead) / Double(max(1, $0)) } }
    /// Bytes read so far.
    public private(set) var bytesRead = 0
    /// Bytes left to read, when only a part of the file is read.
    private var remaining = Int.max

    /// Reads the file at `path`, or only its bytes in `range` (of a regular file).
    public init(path: String, range: Range<Int>? = nil) throws(InputError) {
        if path == "-" {
            fd = 0; ownsDescriptor = false; size = nil
            return
        }
        let opened = open(path, O_RDONLY)
        guard opened >= 0 else { throw InputError("cannot open: \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(opened, &info) == 0 else {
            close(opened)
            throw InputError("cannot read: \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(opened)
            throw InputError("is a directory, not a file")
        }
        fd = opened; ownsDescriptor = true
        size = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil
        if let range {
            guard lseek(fd, off_t(range.lowerBound), SEEK_SET) >= 0 else {
                throw InputError("cannot read: \(String(cString: strerror(errno)))")
            }
            remaining = range.count
        }
    }

    deinit { if ownsDescriptor { close(fd) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, min(buffer.count, remaining))
            if n > 0 {
                ReadProgress.shared.add(bytes: n)
                bytesRead += n
                remaining -= n
            }
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw InputError("read failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// Opens a register file the way the contract says: `-` is standard input, a name ending in
/// `.zst` is a zstd stream, anything else plain text; `gb18030` converts to UTF-8 on the way.
public func openInput(path: String, gb18030: Bool = false) throws(InputError) -> ByteSource {
    try openInput(FileSource(path: path), path: path, gb18030: gb18030)
}

/// The same, over `file` opened already (whose `share` tells how far reading has come).
public func openInput(_ file: FileSource, path: String, gb18030: Bool) throws(InputError) -> ByteSource {
    var source: ByteSource = file
    if path.hasSuffix(".zst") { source = try ZstdSource(source) }
    if gb18030 { source = try IconvSource(source, from: "GB18030") }
    return source
}
