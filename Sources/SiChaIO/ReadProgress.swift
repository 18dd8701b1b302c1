#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How much input the process has read so far, for a progress line: bytes taken from files
/// (compressed bytes, as stored) and CSV rows parsed.
///
/// `FileSource` adds once per read call and `CSVReader` adds its rows once per refill, so the
/// count costs nothing per row. It holds numbers only, never record content. Any thread may add
/// or read.
public final class ReadProgress: @unchecked Sendable {
    /// The counter every `FileSource` and `CSVReader` of the process adds to.
    public static let shared = ReadProgress()

    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var bytes = 0
    private var rows = 0

    public init() { pthread_mutex_init(lock, nil) }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// Adds `bytes` read from a file and `rows` parsed.
    public func add(bytes: Int = 0, rows: Int = 0) {
        pthread_mutex_lock(lock)
        self.bytes &+= bytes
        self.rows &+= rows
        pthread_mutex_unlock(lock)
    }

    /// The totals so far.
    public var counts: (bytes: Int, rows: Int) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return (bytes, rows)
    }
}
