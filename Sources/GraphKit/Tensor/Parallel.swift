import Dispatch
import Foundation

/// How GraphKit splits work across cores.
///
/// Work is cut into a fixed number of contiguous chunks that depends only on the
/// problem size, never on timing, so every output is written by exactly one
/// thread and results are identical run to run.
public enum Parallelism {
    /// Number of worker chunks used for parallel loops (the machine's active cores).
    public static let workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Below this many units of work a loop runs on the calling thread.
    public static let minimumWork = 1 << 15

    /// Runs `body` over `0..<count` cut into one contiguous range per worker
    /// (fixed by `count` alone). `body` must write only what its range owns.
    public static func forEachRange(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        parallelFor(count, work: work, body)
    }
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
///
/// `work` estimates the total cost; small loops, and loops started inside
/// another parallel loop, run inline.
@inline(__always)
func parallelFor(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
    let chunks = min(Parallelism.workers, count)
    if chunks <= 1 || work < Parallelism.minimumWork || insideParallelRegion() {
        if count > 0 { body(0..<count) }
        return
    }
    runChunks(chunks) { c in body((count * c / chunks)..<(count * (c + 1) / chunks)) }
}

/// Runs `body` over the rows of a CSR structure, split so that each worker gets
/// about the same number of entries. Each row is owned by one worker.
@inline(__always)
func parallelForRows(_ rowPtr: UnsafeBufferPointer<Int32>, work: Int, _ body: (Range<Int>) -> Void) {
    let rows = rowPtr.count - 1
    let chunks = min(Parallelism.workers, rows)
    if chunks <= 1 || work < Parallelism.minimumWork || insideParallelRegion() {
        if rows > 0 { body(0..<rows) }
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
