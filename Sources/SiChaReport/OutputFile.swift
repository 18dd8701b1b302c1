#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SiChaIO

/// A file written under a temporary name in its folder, and renamed to its real name only by `commit()`.
///
/// A run that fails or is interrupted leaves no half-written file under a real name.
final class OutputFile {
    let path: String
    let temporaryPath: String
    private var handle: UnsafeMutablePointer<FILE>?
    private var failed: String?

    init(path: String) throws(InputError) {
        self.path = path
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        temporaryPath = String(path[..<slash]) + "." + String(path[slash...]) + ".tmp-\(getpid())"
        guard let file = fopen(temporaryPath, "wb") else {
            throw InputError("cannot write \(temporaryPath): \(String(cString: strerror(errno)))")
        }
        handle = file
        setvbuf(file, nil, _IOFBF, 1 << 20)
    }

    deinit {
        if let handle { fclose(handle); unlink(temporaryPath) }
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            if failed == nil, !bytes.isEmpty, fwrite(bytes.baseAddress, 1, bytes.count, handle) != bytes.count {
                failed = String(cString: strerror(errno))
            }
        }
    }

    /// Flushes and closes the temporary file; throws when any write failed (a full disk, say).
    func finish() throws(InputError) {
        guard let file = handle else { return }
        handle = nil
        let flushed = fflush(file) == 0 && fsync(fileno(file)) == 0
        let error = errno
        let closed = fclose(file) == 0
        if failed == nil && !(flushed && closed) { failed = String(cString: strerror(error)) }
        if let failed {
            unlink(temporaryPath)
            throw InputError("cannot write \(path): \(failed)")
        }
    }

    /// Gives the finished file its real name.
    func commit() throws(InputError) {
        if rename(temporaryPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw InputError("cannot write \(path): \(reason)")
        }
    }

    func discard() { unlink(temporaryPath) }
}

/// RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled.
func csvField(_ value: String) -> String {
    guard value.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return value }
    var out = "\""
    for ch in value.unicodeScalars {
        if ch == "\"" { out += "\"\"" } else { out.unicodeScalars.append(ch) }
    }
    return out + "\""
}

func csvRow(_ fields: [String]) -> String { fields.map(csvField).joined(separator: ",") + "\n" }

/// JSON string literal.
func jsonString(_ value: String) -> String {
    var out = "\""
    for ch in value.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where ch.value < 0x20:
            let hex = String(ch.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(ch)
        }
    }
    return out + "\""
}
