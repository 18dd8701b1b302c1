import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sicha`: 四查三比对 for 控辍保学 dropout control.
@main
struct Sicha: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "四查三比对: cross-checks household, student, attendance and poverty registers for out-of-school children.",
        subcommands: [Verify.self, Generate.self, Config.self])

    /// Usage errors exit with status 2 (contract section 6), not argument-parser's 64.
    static func main() {
        // A file-size limit must fail the write (and the run, with a message), not kill the process.
        signal(SIGXFSZ, SIG_IGN)
        fixMmapThreshold()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is ExitCode { exit(withError: error) }
            printError(fullMessage(for: error))
            Glibc.exit(2)
        }
    }
}

extension ParsableCommand {
    static func fail(_ message: String) -> Never {
        printError(message)
        Glibc.exit(2)
    }
}

/// Keeps glibc's mmap threshold at 1 MiB. Chunk results are large and short-lived; once some are
/// freed, glibc would raise the threshold and keep later ones in the heap after they are freed,
/// holding them in memory beside the merged copy (measured: peak 575 MiB instead of 320 MiB
/// after reading the students of 10 million people).
func fixMmapThreshold() {
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD in <malloc.h>
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
    _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, 1 << 20)
}

/// One line on standard error, prefixed with the program's name.
func printError(_ message: String) {
    var line = "sicha: \(message)\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
