import Dispatch
import Foundation
import Synchronization

/// How GraphKit splits work across cores.
///
/// Work is cut into contiguous chunks that depend only on the problem size,
/// never on timing, so every output is written by exactly one thread and
/// results are identical run to run.
///
/// Results are also identical on any number of cores. Most loops compute
/// each output on its own, so where they are cut does not matter. Where the
/// cut changes the bits (each sgemm call's shape does, see `BLAS.gemm`), the
/// work is cut into a fixed number of parts, `referenceParts`, and only the
/// spreading of those parts over the workers depends on the core count.
/// Whether a loop counts as a parallel region, inside which loops and
/// products run inline, is decided by its size and nesting alone too.
public enum Parallelism {
    /// Number of worker threads used for parallel loops: the machine's active
    /// cores, unless `setWorkers` said otherwise.
    public static var workers: Int { configuredWorkers.load(ordering: .relaxed) }

    private static let configuredWorkers = Atomic<Int>(max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// Uses `count` worker threads from now on (at least 1): the CPUs a
    /// scheduler gave this process (Slurm's `SLURM_CPUS_PER_TASK`, say), not
    /// the machine's. Results do not change with it.
    public static func setWorkers(_ count: Int) {
        configuredWorkers.store(max(1, count), ordering: .relaxed)
    }

    /// Below this many units of work a loop runs on the calling thread.
    public static let minimumWork = 1 << 15

    /// The number of parts that work whose bits depend on its cut (sgemm
    /// calls, evaluation blocks) is cut into, whatever the core count. Two,
    /// the split the stored results were computed with on a 2-core machine.
    public static let referenceParts = 2

    /// Runs `body` over `0..<count` cut into contiguous ranges, one per
    /// worker. `body` must write only what its range owns, and its outputs
    /// must not depend on where the ranges are cut.
    public static func forEachRange(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        parallelFor(count, work: work, body)
    }

    /// Runs `body` on blocks of at most `blockSize` of `0..<count`: the range
    /// is cut into `referenceParts` parts, and each part into blocks from its
    /// start. The blocks depend on `count`, `blockSize` and `work` alone;
    /// the workers share them out, each taking a contiguous run of blocks, so
    /// a block's sgemm has the same shape, and the same bits, on any number of
    /// cores. Each call gets the blocks of one worker, in order.
    public static func forEachBlock(_ count: Int, blockSize: Int, work: Int,
                                    _ body: (ArraySlice<Range<Int>>) -> Void) {
        precondition(blockSize >= 1, "forEachBlock: block size \(blockSize)")
        guard splitsWork(count, work: work) else {
            if count > 0 { body(blocks(of: 0..<count, size: blockSize)[...]) }
            return
        }
        let all = referenceCut(count).flatMap { blocks(of: $0, size: blockSize) }
        runParts(all.count) { range in body(all[range]) }
    }

    private static func blocks(of range: Range<Int>, size: Int) -> [Range<Int>] {
        stride(from: range.lowerBound, to: range.upperBound, by: size).map { $0..<min($0 + size, range.upperBound) }
    }
}

/// Whether a loop over `count` items with `work` units runs as a parallel
/// region: decided by its size and nesting alone, never by the core count,
/// so that what runs inline inside it is the same on 1 core or 64.
@inline(__always)
func splitsWork(_ count: Int, work: Int) -> Bool {
    count >= 2 && work >= Parallelism.minimumWork && !insideParallelRegion()
}

/// `0..<count` cut into `Parallelism.referenceParts` contiguous parts (fewer
/// when `count` is smaller): part c is `count·c/P ..< count·(c+1)/P`.
@inline(__always)
func referenceCut(_ count: Int) -> [Range<Int>] {
    let parts = min(Parallelism.referenceParts, count)
    return (0..<parts).map { c in (count * c / parts)..<(count * (c + 1) / parts) }
}

/// Runs `body` over `0..<count`, cut into one contiguous range per worker,
/// each run marked as inside a parallel region; one worker runs it all on
/// the calling thread, marked the same way.
@inline(__always)
private func runParts(_ count: Int, _ body: (Range<Int>) -> Void) {
    let chunks = min(Parallelism.workers, count)
    if chunks <= 1 {
        insideRegion { body(0..<count) }
        return
    }
    runChunks(chunks) { c in body((count * c / chunks)..<(count * (c + 1) / chunks)) }
}

/// Marks the threads running a chunk of a parallel loop, so that a parallel
/// loop started inside one (a sgemm inside a per-user evaluation chunk, say)
/// runs inline instead of oversubscribing the cores.
private let parallelRegionKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()

/// True on a thread that is running a chunk of a parallel loop.
@inline(__always)
func insideParallelRegion() -> Bool { pthread_getspecific(parallelRegionKey) != nil }

/// Runs `body` on the calling thread, marked as inside a parallel region.
@inline(__always)
private func insideRegion(_ body: () -> Void) {
    let outer = pthread_getspecific(parallelRegionKey)
    pthread_setspecific(parallelRegionKey, UnsafeRawPointer(bitPattern: 1))
    body()
    pthread_setspecific(parallelRegionKey, outer)
}

/// Runs `chunks` iterations of `body` on the worker threads, each marked as
/// inside a parallel region.
@inline(__always)
private func runChunks(_ chunks: Int, _ body: (Int) -> Void) {
    // Each chunk touches only its own outputs, so sharing `body` across threads is safe.
    nonisolated(unsafe) let body = body
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        pthread_setspecific(parallelRegionKey, UnsafeRawPointer(bitPattern: 1))
        body(c)
        pthread_setspecific(parallelRegionKey, nil)
    }
}

/// Runs `body` over `0..<count` split into contiguous ranges, one per worker.
/// The outputs must not depend on where the ranges are cut.
///
/// `work` estimates the total cost; small loops, and loops started inside
/// another parallel loop, run inline.
@inline(__always)
func parallelFor(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
    guard splitsWork(count, work: work) else {
        if count > 0 { body(0..<count) }
        return
    }
    runParts(count, body)
}

/// Runs `body` on each of the `referenceCut` parts of `0..<count`, spread
/// over the workers: the same calls on any number of cores. For work whose
/// bits depend on the cut, such as the rows of a sgemm.
@inline(__always)
func parallelForReferenceParts(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
    // Blocks as long as the whole range: one block per part.
    Parallelism.forEachBlock(count, blockSize: max(count, 1), work: work) { parts in parts.forEach(body) }
}

/// Runs `body` over the rows of a CSR structure, split so that each worker gets
/// about the same number of entries. Each row is owned by one worker.
@inline(__always)
func parallelForRows(_ rowPtr: UnsafeBufferPointer<Int32>, work: Int, _ body: (Range<Int>) -> Void) {
    let rows = rowPtr.count - 1
    guard splitsWork(rows, work: work) else {
        if rows > 0 { body(0..<rows) }
        return
    }
    let chunks = min(Parallelism.workers, rows)
    if chunks <= 1 {
        insideRegion { body(0..<rows) }
        return
    }
    let nnz = Int(rowPtr[rows])
    // Split points by entry count: the first row whose start reaches c * nnz / chunks.
    var bounds = [Int](repeating: rows, count: chunks + 1)
    bounds[0] = 0
    var r = 0
    for c in 1..<chunks {
        let target = nnz * c / chunks
        while r < rows && Int(rowPtr[r]) < target { r += 1 }
        bounds[c] = max(r, bounds[c - 1])
    }
    let splits = bounds
    runChunks(chunks) { c in
        if splits[c] < splits[c + 1] { body(splits[c]..<splits[c + 1]) }
    }
}
