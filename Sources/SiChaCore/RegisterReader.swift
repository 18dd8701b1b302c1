import Dispatch
import SiChaIO

/// One input file of a run: which register it holds and where it stands in the run's file order.
public struct InputFile: Sendable {
    public var dataset: Dataset
    public var path: String
    /// Position in the run's file order (datasets in contract order, then files as given).
    public var index: Int

    public init(dataset: Dataset, path: String, index: Int) {
        self.dataset = dataset
        self.path = path
        self.index = index
    }
}

/// Which hukou records are kept whole. The hukou register holds the whole population, so a run
/// keeps in full only the people the comparisons need and just what duplicates are reported with
/// of everyone else.
public enum HukouSelection: Sendable {
    /// Keep every record (used when the population is small or in tests).
    case all
    /// Keep in full the people of school age (`scope`, packed birth dates) and those in `interesting`;
    /// of the rest keep only the keys, lines, names and regions of `normal` records, for duplicate
    /// detection, and the keys of others.
    case population(interesting: KeySet, scope: ClosedRange<Int32>)
}

/// What reading one file gives: its records with valid IDs, its rejects and record-level findings,
/// and its row accounting.
public struct FileExtract: Sendable {
    public internal(set) var file: InputFile
    public internal(set) var rowsRead = 0
    public internal(set) var rowsRejected = 0
    public var rowsAccepted: Int { rowsRead - rowsRejected }
    public internal(set) var rejects: [Reject] = []
    public internal(set) var findings: [Finding] = []
    var arena = TextArena()
    var hukou: [HukouRecord] = []
    var xueji: [XuejiRecord] = []
    var roster: [RosterRecord] = []
    var poverty: [PovertyRecord] = []
    /// Keys of `normal` hukou records that were not kept in full, and the lines they start on.
    var population = KeyLines()
    /// 学校标识码 → 学校所在地区划代码, as first seen in this xueji file.
    var schoolRegions: [String: String] = [:]
    /// Physical lines read (for a chunk: to place the next chunk's lines).
    var lines = 0

    init(file: InputFile) { self.file = file }

    /// Empties the extract for a chunk of `file`, keeping the room its arrays had.
    mutating func reuse(for file: InputFile) {
        self.file = file
        (rowsRead, rowsRejected, lines) = (0, 0, 0)
        rejects.removeAll(keepingCapacity: true)
        findings.removeAll(keepingCapacity: true)
        arena.removeAll()
        hukou.removeAll(keepingCapacity: true)
        xueji.removeAll(keepingCapacity: true)
        roster.removeAll(keepingCapacity: true)
        poverty.removeAll(keepingCapacity: true)
        population.removeAll()
        schoolRegions.removeAll(keepingCapacity: true)
    }

    /// Rows read between two calls of `makeRoom`.
    static let roomRows = 1 << 16

    /// How many times what is held so far the whole file will need, with a margin, when `share`
    /// of it is read. The margin is wide: room never used costs no memory, where room that runs out
    /// near the end of a file costs a copy of all that is held (the compressed input is read ahead
    /// of its text, so the share runs ahead of the records).
    static func growth(_ share: Double?) -> Double? { share.map { 2 / max($0, 1e-6) } }

    /// Makes room for the records of the next `roomRows` rows of the same file, read on from the
    /// part `share` of it (see `append`).
    mutating func makeRoom(share: Double?) {
        guard let factor = FileExtract.growth(share) else { return }
        let rows = FileExtract.roomRows
        // (The rows bound the records to come; what an array holds is the basis. Empty ones are
        // not of this file.)
        func room<T>(_ array: inout [T]) { if !array.isEmpty { reserve(&array, rows, factor, basis: array.count) } }
        room(&hukou); room(&xueji); room(&roster); room(&poverty)
        if !arena.bytes.isEmpty { arena.reserve(rows * 8, factor, basis: arena.bytes.count) }
    }

    /// Appends the extract of the next chunk of the same file, whose lines count from 1 after
    /// `linesBefore` lines. `share` is the part of the file read when the chunk was cut, if known:
    /// arrays that must grow grow to what the whole file will need by it, not by doubling (each
    /// doubling copies an array into new memory, which costs a page fault every 4 KiB).
    mutating func append(_ next: FileExtract, linesBefore: Int, share: Double?) {
        let factor = FileExtract.growth(share)
        func room<T>(_ array: inout [T], _ more: Int) { reserve(&array, more, factor, basis: array.count + more) }
        let down = UInt64(linesBefore)
        func at(_ l: Location) -> Location { Location(packed: l.packed + down) }
        rowsRead += next.rowsRead
        rowsRejected += next.rowsRejected
        rejects += next.rejects.map { var r = $0; r.location = at(r.location); return r }
        findings += next.findings.map { var f = $0; f.location = at(f.location); return f }
        population.append(next.population, linesBefore: linesBefore)
        room(&hukou, next.hukou.count)
        room(&xueji, next.xueji.count)
        room(&roster, next.roster.count)
        room(&poverty, next.poverty.count)
        arena.reserve(next.arena.bytes.count, factor)
        let shift = arena.bytes.count
        func moved(_ r: inout TextRef) { r = r.moved(by: shift) }
        // The records are appended as they are, then placed after what is already held (no copy
        // of a chunk's records is made on the way: for a large one, new memory and its page faults).
        func add<R>(_ records: inout [R], _ more: [R], _ place: (inout R) -> Void) {
            let first = records.count
            records += more
            records.withUnsafeMutableBufferPointer { for i in first..<$0.count { place(&$0[i]) } }
        }
        add(&hukou, next.hukou) { $0.location = at($0.location); moved(&$0.name); moved(&$0.region) }
        add(&xueji, next.xueji) { $0.location = at($0.location); moved(&$0.name); moved(&$0.school); moved(&$0.region) }
        add(&roster, next.roster) { $0.location = at($0.location); moved(&$0.name); moved(&$0.school) }
        add(&poverty, next.poverty) { $0.location = at($0.location); moved(&$0.name); moved(&$0.region); moved(&$0.household) }
        arena.append(next.arena)
        schoolRegions.merge(next.schoolRegions) { first, _ in first }
    }
}

extension [FileExtract] {
    /// The extract that holds all the records of `part`, when exactly one holds any (the join then
    /// takes its array as it is).
    func onlyHolder<R>(of part: KeyPath<FileExtract, [R]>) -> Int? {
        let holders = indices.filter { !self[$0][keyPath: part].isEmpty }
        return holders.count == 1 ? holders[0] : nil
    }
}

/// Makes room in `array` for `more` elements. Past its capacity, with a `factor` it grows to that
/// many times `basis` (what the whole file will need, judged by the part of it read), at least to
/// double (as arrays grow without: a file that compresses very well is read far ahead of its text,
/// and its share says little) and at most to 64 times or 1 GiB, whichever is more (a file whose
/// start compresses far better than the rest would have room asked for that it never needs; a
/// first chunk of a few thousand records is no measure of a province). Room never used is never
/// touched and costs no memory.
func reserve<T>(_ array: inout [T], _ more: Int, _ factor: Double?, basis: Int) {
    let needed = array.count + more
    guard needed > array.capacity, let factor else { return }
    let most = max(64 * needed, (1 << 30) / MemoryLayout<T>.stride)
    array.reserveCapacity(max(2 * needed, Int(min(Double(basis) * factor, Double(most)))))
}

/// Buffers of one chunk's size, given back by the workers when they are done with them and used
/// again: a new buffer for every chunk would cost a page fault every 4 KiB of the input.
final class ChunkPool: @unchecked Sendable {
    private let size: Int
    private let free = Pool<UnsafeMutableRawBufferPointer>()

    /// A buffer handed from the reading thread to one worker.
    struct Handed: @unchecked Sendable { let bytes: UnsafeMutableRawBufferPointer }

    init(size: Int) { self.size = size }

    deinit { while let buffer = free.take() { buffer.deallocate() } }

    /// A buffer of the pool's size, or larger when `count` bytes need more.
    func take(atLeast count: Int) -> UnsafeMutableRawBufferPointer {
        if count <= size, let buffer = free.take() { return buffer }
        return .allocate(byteCount: max(size, count), alignment: 16)
    }

    func give(_ buffer: UnsafeMutableRawBufferPointer) {
        if buffer.count == size { free.give(buffer) } else { buffer.deallocate() }
    }
}

/// What workers are done with, given back and used again rather than made anew (new memory costs
/// a page fault every 4 KiB): chunk buffers, the extracts of chunks that were appended to their
/// files, emptied for the next (arrays that keep their room), and the readers of parts.
final class Pool<Item>: @unchecked Sendable {
    private var free: [Item] = []
    private let lock = DispatchQueue(label: "sicha.pool")

    func take() -> Item? { lock.sync { free.popLast() } }
    func give(_ item: Item) { lock.sync { free.append(item) } }
}

extension Pool where Item == FileExtract {
    /// An extract emptied for `file`.
    func take(for file: InputFile) -> FileExtract {
        var extract = take() ?? FileExtract(file: file)
        extract.reuse(for: file)
        return extract
    }
}

/// A zstd decoder and a CSV reader over it, which read one part of a file after another.
struct PartReader {
    let zstd: ZstdSource
    let csv: CSVReader
}

/// The parts a zstd file is read in: whole frames, at least `partSize` compressed bytes each
/// (or the file's last frames), found as they are asked for.
struct FrameParts {
    let frames: ZstdFrames
    let partSize: Int
    /// Parts found before they were asked for.
    private(set) var ahead: [Range<Int>] = []
    private var start = 0

    init(frames: ZstdFrames, partSize: Int) { (self.frames, self.partSize) = (frames, partSize) }

    var size: Int { frames.size }

    /// Finds up to `count` parts ahead, all whole frames; returns how many there are.
    mutating func lookAhead(_ count: Int) -> Int {
        while ahead.count < count, let part = find(), !frames.malformed { ahead.append(part) }
        return frames.malformed ? 0 : ahead.count
    }

    /// The next part. From where the frames cannot be found, the rest of the file is one part: it
    /// fails to read as the file read as one stream from there does.
    mutating func next() -> Range<Int>? { ahead.isEmpty ? find() : ahead.removeFirst() }

    private mutating func find() -> Range<Int>? {
        guard start < frames.size else { return nil }
        var end = frames.size
        while let frameEnd = frames.next() {
            if frameEnd - start >= partSize || frameEnd == frames.size {
                end = frameEnd
                break
            }
        }
        defer { start = end }
        return start ..< end
    }
}

/// The extracts of the files being read, each put together from its chunks (or parts) in order.
struct Assembly {
    var extracts: [FileExtract]
    /// Chunks that came in before the one that is next, by index.
    var waiting: [[Int: (FileExtract, Double?, Bool)]]
    var next: [Int]
    /// Lines before the next chunk of each file.
    var lines: [Int]
    /// The first chunk of each file that did not end at a record boundary or could not be read:
    /// the file is read again from there as one stream, and chunks after it are dropped.
    var rereadFrom: [Int?]

    init(files: [InputFile]) {
        extracts = files.map(FileExtract.init)
        waiting = Array(repeating: [:], count: files.count)
        next = Array(repeating: 0, count: files.count)
        lines = Array(repeating: 0, count: files.count)
        rereadFrom = Array(repeating: nil, count: files.count)
    }

    /// Adds the extract of chunk `index` of file `n`, cut when `share` of the file was read and
    /// `whole` unless it did not end at a record boundary; gives the extracts that were appended
    /// or dropped to `pool`.
    mutating func add(_ part: FileExtract, file n: Int, index: Int, share: Double?, whole: Bool = true, pool: Pool<FileExtract>) {
        guard rereadFrom[n] == nil else { pool.give(part); return }
        waiting[n][index] = (part, share, whole)
        while let (ready, share, whole) = waiting[n].removeValue(forKey: next[n]) {
            guard whole else {
                rereadFrom[n] = next[n]
                for (dropped, _, _) in waiting[n].values + [(ready, share, whole)] { pool.give(dropped) }
                waiting[n] = [:]
                return
            }
            let before = lines[n]
            lines[n] += ready.lines
            next[n] += 1
            // A file read in one piece is taken as it is rather than copied.
            if next[n] == 1 && before == 0 {
                extracts[n] = ready
            } else {
                extracts[n].append(ready, linesBefore: before, share: share)
                pool.give(ready)
            }
        }
    }
}

/// Reads register files into `FileExtract`s (四查 on each record as it goes).
///
/// A zstd file of many frames is cut into parts of whole frames, found from their headers without
/// decompressing, and `threads` workers each decompress and decode a part. A part must end at a
/// record boundary (frames may end anywhere): from the first that does not, the rest of the file
/// is read again by one streaming reader.
///
/// Other files: one thread decompresses and cuts each file into chunks at line ends; `threads`
/// workers decode the chunks. Cutting at a line end is exact only where no quote can hold a line
/// break, so from the first chunk that holds a quote character (or a line longer than a chunk)
/// the rest of that file is read by one streaming reader.
///
/// The parts or chunks of a file are put back together in order, so the result does not depend
/// on the thread count.
public struct RegisterReader: Sendable {
    public let parameters: RunParameters
    public var gb18030 = false
    public var threads = 1
    /// Bytes of decompressed text per chunk.
    public var chunkSize = 2 << 20
    /// Compressed bytes of whole zstd frames per part, at least (a part is decoded into one
    /// extract, held until it is appended: about 1 MiB of text).
    public var partSize = 1 << 18
    /// How many parts' text, from the first, must end in a line feed for a file to be read in parts.
    var partsChecked = 3

    public init(parameters: RunParameters, gb18030: Bool = false, threads: Int = 1) {
        self.parameters = parameters
        self.gb18030 = gb18030
        self.threads = max(1, threads)
    }

    /// Reads `files` in order. Throws the first file that cannot be read.
    public func read(_ files: [InputFile], selection: HukouSelection = .all) throws(FileError) -> [FileExtract] {
        // Each file's chunks are appended to its extract in order on one serial queue as they
        // come in, so that a finished chunk is not held beside the whole.
        let assembly = Slots(Assembly(files: files))
        let assembler = DispatchQueue(label: "sicha.assemble")
        let group = DispatchGroup()
        // One chunk more than there are workers is decoded at once: a worker that finishes one
        // finds the next waiting (10M: reading hukou about -60 ms, for one chunk more).
        let inFlight = DispatchSemaphore(value: threads + 1)
        let workers = DispatchQueue(label: "sicha.decode", attributes: .concurrent)
        let pool = ChunkPool(size: chunkSize), extracts = Pool<FileExtract>(), readers = Pool<PartReader>()
        defer { group.wait() }
        @Sendable func deliver(_ n: Int, _ index: Int, _ part: FileExtract, share: Double? = nil, whole: Bool = true) {
            assembler.async(group: group) { assembly.update { $0.add(part, file: n, index: index, share: share, whole: whole, pool: extracts) } }
        }
        // The files read in parts, to read again from a part that did not end at a record boundary
        // (in file order, so that the first file that cannot be read is the one reported).
        var framed: [(n: Int, parts: [Range<Int>], layout: Layout)] = []
        func rereadBroken() throws(FileError) {
            group.wait()
            for (n, parts, layout) in framed {
                guard let from = assembly.value.rereadFrom[n] else { continue }
                var out = FileExtract(file: layout.file)
                do throws(InputError) {
                    _ = try readPart(parts[from].lowerBound..<parts[parts.count - 1].upperBound, first: from == 0, layout, selection, into: &out, readers)
                } catch {
                    throw FileError(path: layout.file.path, error: error)
                }
                assembly.update {
                    $0.rereadFrom[n] = nil
                    $0.add(out, file: n, index: from, share: nil, pool: extracts)
                }
            }
        }
        for (n, file) in files.enumerated() {
            do throws(InputError) {
                let raw = try FileSource(path: file.path)
                let source = try openInput(raw, path: file.path, gb18030: gb18030)
                let csv = CSVReader(source: source)
                let layout = try Layout(csv: csv, file: file)
                if threads == 1 {
                    var out = FileExtract(file: file)
                    try consume(csv, layout, selection, into: &out, share: { raw.share })
                    deliver(n, 0, out)
                    continue
                }
                if var found = frameParts(file) {
                    ReadProgress.shared.add(bytes: -raw.bytesRead)  // (read again by the parts)
                    // Each part goes to a worker as soon as it is found.
                    var parts: [Range<Int>] = []
                    while let range = found.next() {
                        let index = parts.count, size = found.size
                        parts.append(range)
                        inFlight.wait()
                        workers.async(group: group) {
                            var out = extracts.take(for: file)
                            let last = range.upperBound == size
                            let whole = (try? readPart(range, first: index == 0, layout, selection, into: &out, readers)).map { $0 || last } ?? false
                            deliver(n, index, out, share: Double(range.upperBound) / Double(size), whole: whole)
                            inFlight.signal()
                        }
                    }
                    framed.append((n, parts, layout))
                    continue
                }
                let remainder = csv.remainder
                var pending = pool.take(atLeast: remainder.bytes.count)
                var used = remainder.bytes.count
                pending.copyMemory(from: remainder.bytes)
                defer { pool.give(pending) }
                let firstLine = remainder.line
                assembler.async(group: group) { assembly.update { $0.lines[n] = firstLine - 1 } }
                var ended = false
                var index = 0
                while true {
                    try fill(pending, &used, from: source, ended: &ended)
                    if used == 0 && ended { break }
                    let text = UnsafeRawBufferPointer(rebasing: pending[0..<used])
                    guard let cut = safeCut(text, ended: ended) else {
                        // From here on one streaming reader keeps the exact record boundaries; its
                        // lines, like a chunk's, count from 1 and are moved when the parts are joined.
                        let tail = CSVReader(source: PrefixedSource(Array(text), then: source), firstLine: 1, afterStart: true)
                        var out = FileExtract(file: file)
                        try consume(tail, layout, selection, into: &out, share: { raw.share })
                        out.lines = tail.remainder.line - 1
                        deliver(n, index, out)
                        break
                    }
                    // The chunk goes to a worker; what follows its last line starts the next buffer.
                    let chunk = ChunkPool.Handed(bytes: pending), chunkIndex = index, share = raw.share
                    pending = pool.take(atLeast: used - cut)
                    pending.copyMemory(from: UnsafeRawBufferPointer(rebasing: text[cut...]))
                    used -= cut
                    index += 1
                    inFlight.wait()
                    workers.async(group: group) {
                        var out = extracts.take(for: file)
                        let reader = CSVReader(chunk: UnsafeBufferPointer(start: chunk.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                                          count: cut), firstLine: 1)
                        try? consume(reader, layout, selection, into: &out)
                        out.lines = reader.remainder.line - 1
                        pool.give(chunk.bytes)
                        deliver(n, chunkIndex, out, share: share)
                        inFlight.signal()
                    }
                }
            } catch {
                try rereadBroken()
                throw FileError(path: file.path, error: error)
            }
        }
        try rereadBroken()
        return assembly.value.extracts
    }

    /// The parts of whole zstd frames, `partSize` or more compressed bytes each, in which `file` is
    /// read in parallel; nil when it is read otherwise (not zstd, converted from GB18030, not made
    /// of at least two parts, or frames that do not end at line ends).
    ///
    /// Frames that end at record ends, as `sicha generate` writes them, are read in parts; frames
    /// cut anywhere (as `pzstd` cuts them) in chunks, as from the first part on the file would be
    /// read again as one stream: the text of the first `partsChecked` parts must end in a line feed.
    func frameParts(_ file: InputFile) -> FrameParts? {
        guard !gb18030, file.path.hasSuffix(".zst"), let frames = ZstdFrames(path: file.path) else { return nil }
        var parts = FrameParts(frames: frames, partSize: partSize)
        guard parts.lookAhead(max(partsChecked, 1) + 1) > 1,
              parts.ahead.dropLast().prefix(partsChecked).allSatisfy({ (try? lastByte(of: file, range: $0)) == 0x0A }) else { return nil }
        return parts
    }

    /// The last byte of the text of the zstd frames in `range` of `file` (nil for no text).
    private func lastByte(of file: InputFile, range: Range<Int>) throws(InputError) -> UInt8? {
        let bytes = try FileSource(path: file.path, range: range)
        let source = try ZstdSource(bytes)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer {
            buffer.deallocate()
            ReadProgress.shared.add(bytes: -bytes.bytesRead)  // (read again by the parts)
        }
        var last: UInt8?
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { return last }
            last = buffer[n - 1]
        }
    }

    /// Reads the records of the frames in `range` of a zstd file into `out`, after the header
    /// when the range is `first` in the file. Returns whether they ended at a record boundary.
    func readPart(_ range: Range<Int>, first: Bool, _ layout: Layout, _ selection: HukouSelection,
                  into out: inout FileExtract, _ readers: Pool<PartReader> = Pool()) throws(InputError) -> Bool {
        let bytes = try FileSource(path: layout.file.path, range: range)
        let reader: PartReader
        if let used = readers.take() {
            reader = used
            reader.zstd.restart(reading: bytes)
            reader.csv.restart(afterStart: !first)
        } else {
            let zstd = try ZstdSource(bytes)
            reader = PartReader(zstd: zstd, csv: CSVReader(source: zstd, afterStart: !first))
        }
        defer { readers.give(reader) }
        let csv = reader.csv
        if first { _ = try csv.next() }
        try consume(csv, layout, selection, into: &out)
        out.lines = csv.remainder.line - 1
        return csv.endsAtRecordBoundary
    }

    /// Fills `buffer` from the source after its first `used` bytes.
    private func fill(_ buffer: UnsafeMutableRawBufferPointer, _ used: inout Int, from source: ByteSource,
                      ended: inout Bool) throws(InputError) {
        while used < buffer.count && !ended {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[used...]))
            if n == 0 { ended = true }
            used += n
        }
    }

    /// Where a chunk of `text` can end at a record boundary without parsing it: after the last
    /// line feed, when the chunk holds no quote. Nil when that cannot be known this way.
    private func safeCut(_ text: UnsafeRawBufferPointer, ended: Bool) -> Int? {
        guard let lastLF = ended ? text.count - 1 : text.lastIndex(of: 0x0A) else { return nil }
        let cut = lastLF + 1
        if memchr(text.baseAddress!, 0x22, cut) != nil { return nil }
        return cut
    }

    /// Reads every record of `csv` into `out`, with rows counted, rejected or decoded. `share` tells
    /// the part of the file read, when it is known: arrays grow by it (see `FileExtract.makeRoom`).
    private func consume(_ csv: CSVReader, _ layout: Layout, _ selection: HukouSelection,
                         into out: inout FileExtract, share: () -> Double? = { nil }) throws(InputError) {
        var decoder = RecordDecoder(csv: csv, layout: layout, parameters: parameters, selection: selection)
        let file = layout.file
        while try csv.next() {
            out.rowsRead += 1
            if out.rowsRead % FileExtract.roomRows == 0 { out.makeRoom(share: share()) }
            if let problem = layout.problem(of: csv) ?? decoder.decode(into: &out) {
                out.rowsRejected += 1
                out.rejects.append(Reject(dataset: file.dataset, location: decoder.location, reason: problem, raw: TextCheck.excerpt(csv.raw)))
            }
        }
        decoder.finish(into: &out)
    }
}

/// Where each column of a file is, read from its header.
struct Layout: Sendable {
    let file: InputFile
    let positions: [Int]
    let fieldCount: Int

    init(csv: CSVReader, file: InputFile) throws(InputError) {
        guard try csv.next() else { throw InputError("empty file: no header row") }
        if let problem = csv.problem { throw InputError("line \(csv.line): header: \(problem)") }
        if TextCheck.encodingProblem(csv.raw) != nil {
            throw InputError("line \(csv.line): header is not valid UTF-8 (GB18030 files need --encoding gb18030)")
        }
        let header = (0..<csv.fieldCount).map { String(decoding: csv.field($0), as: UTF8.self) }
        self.file = file
        positions = try Schema.resolve(header: header, dataset: file.dataset)
        fieldCount = header.count
    }

    /// Why the current row of `csv` cannot be a record of this file before its fields are
    /// decoded (broken CSV, wrong field count, bad encoding), or nil.
    func problem(of csv: CSVReader) -> String? {
        if let csvProblem = csv.problem { return csvProblem.description }
        if csv.fieldCount != fieldCount { return "field count \(csv.fieldCount), header has \(fieldCount)" }
        return TextCheck.encodingProblem(csv.raw)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
