import SiChaIO

/// The poverty records of adults whom no school register names, set aside in a temporary file while
/// the hukou register is read (most members of poor households are adults: at 10M, some 47 MiB at
/// the moment memory peaks). Of such a person nothing is asked but whether they have a hukou record
/// and whether they are in two households: no case is made of an adult out of school registers. So
/// only the records of people without a hukou record, or set aside more than once, are put back
/// for the join. Without a temporary file the records stay where they are.
struct PovertyAside {
    static let batch = 4096

    private let file: TemporaryFile?
    /// Records in the file: where each batch starts, how many it holds and the extract it came from.
    private var batches: [(offset: Int, count: Int, extract: Int)] = []
    /// Keys that occur more than once among the records set aside.
    private(set) var repeated = KeySet()

    /// Sets aside the poverty records of `extracts` whose key `belongs` says, in a file in `directory`.
    init(_ extracts: inout [FileExtract], directory: String = TemporaryFile.directory, where belongs: (UInt64) -> Bool) {
        file = TemporaryFile(directory: directory)
        guard let file else { return }
        var keys: [UInt64] = [], batch: [PovertyRecord] = [], writable = true
        batch.reserveCapacity(PovertyAside.batch)
        for e in extracts.indices where !extracts[e].poverty.isEmpty {
            var kept: [PovertyRecord] = []
            func write() {
                guard !batch.isEmpty else { return }
                if writable, let offset = batch.withUnsafeBytes({ file.append($0) }) {
                    batches.append((offset, batch.count, e))
                    keys += batch.lazy.map { $0.key }
                } else {
                    writable = false
                    kept += batch
                }
                batch.removeAll(keepingCapacity: true)
            }
            for r in extracts[e].poverty {
                guard writable, belongs(r.key) else { kept.append(r); continue }
                batch.append(r)
                if batch.count == PovertyAside.batch { write() }
            }
            write()
            extracts[e].poverty = kept
        }
        repeated = KeySet.repeated(in: keys)
    }

    /// The keys of the records set aside, after `others`. (Read back rather than kept from `init`:
    /// held while the hukou register is read, at 10M they would be 8 MiB more at the peak.)
    func keys(after others: [UInt64]) throws(InputError) -> [UInt64] {
        var keys = others
        keys.reserveCapacity(others.count + batches.reduce(0) { $0 + $1.count })
        try forEachBatch { records, _ in keys += records.lazy.map { $0.key } }
        return keys
    }

    /// Puts back into `extracts` the records set aside whose key `wanted` says.
    func restore(into extracts: inout [FileExtract], where wanted: (UInt64) -> Bool) throws(InputError) {
        try forEachBatch { records, e in extracts[e].poverty += records.lazy.filter { wanted($0.key) } }
    }

    private func forEachBatch(_ body: (UnsafeBufferPointer<PovertyRecord>, Int) -> Void) throws(InputError) {
        guard let file, !batches.isEmpty else { return }
        let buffer = UnsafeMutableBufferPointer<PovertyRecord>.allocate(capacity: PovertyAside.batch)
        defer { buffer.deallocate() }
        for (offset, count, e) in batches {
            let records = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
            guard file.read(at: offset, into: UnsafeMutableRawBufferPointer(records)) else {
                throw InputError("cannot read back a temporary file")
            }
            body(UnsafeBufferPointer(records), e)
        }
    }
}
