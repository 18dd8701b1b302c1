/// Sorts a table by ID, then record order, in place.
///
/// The standard library's sort takes a buffer of half the table, which for a province's four tables
/// sorted at once is hundreds of MiB more at the moment memory peaks. This sort takes no buffer.
/// The records are put into up to 2048 buckets by the leading bits of their key's distance from the
/// smallest key, in place (an American flag sort: each record is moved once per level, where a
/// quicksort of millions moves it some twenty times), and each bucket again while it holds more
/// than `radixAbove` records of different keys (256 was fastest on the registers of 10 million
/// people). The buckets left are sorted by an introsort: quicksort around a median of three,
/// heapsort past a depth limit (so the time stays n log n), insertion sort for short runs.
/// Records are never equal (their locations differ), so the order is the same as a stable sort's.
/// A table already in order (sorted before) is seen to be in one pass and left as it is.
func sortByKey<R: KeyedRecord>(_ table: inout [R], depthLimit: Int? = nil, radixAbove: Int = 256) {
    table.withUnsafeMutableBufferPointer { t in
        guard t.indices.dropFirst().contains(where: { precedes(t[$0], t[$0 - 1]) }) else { return }
        radixSort(t, 0, t.count, above: max(1, radixAbove)) { lo, hi in
            introsort(t, lo, hi, depth: depthLimit ?? 2 * (Int.bitWidth - (hi - lo).leadingZeroBitCount))
        }
    }
}

/// Puts `t[low..<high]` in buckets by key (see `sortByKey`), and hands each bucket of at most
/// `above` records, or of one key, to `finish`.
private func radixSort<R: KeyedRecord>(_ t: UnsafeMutableBufferPointer<R>, _ low: Int, _ high: Int, above: Int,
                                       finish: (Int, Int) -> Void) {
    guard high - low > above else { return finish(low, high) }
    var least = UInt64.max, most: UInt64 = 0
    for i in low..<high {
        least = min(least, t[i].key)
        most = max(most, t[i].key)
    }
    guard most > least else { return finish(low, high) }
    let shift = max(0, UInt64.bitWidth - (most - least).leadingZeroBitCount - 11)
    let buckets = Int((most - least) >> shift) + 1
    @inline(__always) func bucket(_ r: R) -> Int { Int(truncatingIfNeeded: (r.key &- least) >> shift) }
    // Where each bucket starts.
    var starts = [Int](repeating: 0, count: buckets + 1)
    for i in low..<high { starts[bucket(t[i]) + 1] += 1 }
    starts[0] = low
    for b in 0..<buckets { starts[b + 1] += starts[b] }
    distribute(t, starts, bucket)
    for b in 0..<buckets where starts[b + 1] - starts[b] > 1 { radixSort(t, starts[b], starts[b + 1], above: above, finish: finish) }
}

/// Moves each element of `t` into its bucket (`bucket(e)`, from 0), bucket b taking the places
/// `starts[b] ..< starts[b + 1]` (counted beforehand), in place: each element is carried to the
/// next free place of its bucket, and the one it displaces on.
@inline(__always)
func distribute<T>(_ t: UnsafeMutableBufferPointer<T>, _ starts: [Int], _ bucket: (T) -> Int) {
    var next = starts
    for b in 0 ..< starts.count - 1 {
        while next[b] < starts[b + 1] {
            var item = t[next[b]]
            var d = bucket(item)
            while d != b {
                swap(&item, &t[next[d]])
                next[d] += 1
                d = bucket(item)
            }
            t[next[b]] = item
            next[b] += 1
        }
    }
}

@inline(__always)
private func precedes<R: KeyedRecord>(_ a: R, _ b: R) -> Bool {
    a.key != b.key ? a.key < b.key : a.location < b.location
}

private func introsort<R: KeyedRecord>(_ t: UnsafeMutableBufferPointer<R>, _ low: Int, _ high: Int, depth: Int) {
    var lo = low, hi = high, depth = depth
    while hi - lo > 16 {
        if depth == 0 { return heapsort(t, lo, hi) }
        depth -= 1
        let mid = lo + (hi - 1 - lo) / 2
        if precedes(t[mid], t[lo]) { t.swapAt(mid, lo) }
        if precedes(t[hi - 1], t[lo]) { t.swapAt(hi - 1, lo) }
        if precedes(t[hi - 1], t[mid]) { t.swapAt(hi - 1, mid) }
        // Hoare's partition around the median: [lo, j] ≤ pivot ≤ [j + 1, hi).
        let pivot = t[mid]
        var i = lo - 1, j = hi
        while true {
            repeat { i += 1 } while precedes(t[i], pivot)
            repeat { j -= 1 } while precedes(pivot, t[j])
            if i >= j { break }
            t.swapAt(i, j)
        }
        // Recurse into the smaller side, loop on the larger.
        if j + 1 - lo < hi - j - 1 {
            introsort(t, lo, j + 1, depth: depth)
            lo = j + 1
        } else {
            introsort(t, j + 1, hi, depth: depth)
            hi = j + 1
        }
    }
    guard hi - lo > 1 else { return }
    for i in lo + 1 ..< hi {
        let item = t[i]
        var j = i
        while j > lo && precedes(item, t[j - 1]) {
            t[j] = t[j - 1]
            j -= 1
        }
        t[j] = item
    }
}

private func heapsort<R: KeyedRecord>(_ t: UnsafeMutableBufferPointer<R>, _ lo: Int, _ hi: Int) {
    func sift(_ start: Int, _ end: Int) {
        var root = start
        while 2 * root + 1 < end {
            var child = 2 * root + 1
            if child + 1 < end && precedes(t[lo + child], t[lo + child + 1]) { child += 1 }
            if !precedes(t[lo + root], t[lo + child]) { return }
            t.swapAt(lo + root, lo + child)
            root = child
        }
    }
    let n = hi - lo
    for start in stride(from: n / 2 - 1, through: 0, by: -1) { sift(start, n) }
    for end in stride(from: n - 1, to: 0, by: -1) {
        t.swapAt(lo, lo + end)
        sift(0, end)
    }
}
