#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates the folder `path` and any missing parents, like `mkdir -p`; nothing to do when it is
/// a folder already.
public func makeFolders(_ path: String) throws(InputError) {
    var info = stat()
    if stat(path, &info) == 0 {
        if (info.st_mode & S_IFMT) == S_IFDIR { return }
        throw InputError("\(path) is a file, not a folder")
    }
    if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
        try makeFolders(String(path[..<slash]))
    }
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
        throw InputError("cannot create \(path): \(String(cString: strerror(errno)))")
    }
}
