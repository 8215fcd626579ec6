import GraphKit

/// Runs `body` for each of `0..<count`, where each index reads (and maybe
/// writes) one run file, on the workers (`Parallelism.forEachRange`). A file
/// counts as 1/64 of the work that makes a loop worth splitting.
func forEachFile(_ count: Int, _ body: (Int) -> Void) {
    Parallelism.forEachRange(count, work: count * (Parallelism.minimumWork / 64)) { range in
        for i in range { body(i) }
    }
}

/// `forEachFile` for a `body` that throws: every index runs up to its
/// range's first error, and the error of the lowest index that threw is
/// thrown.
func forEachFile(_ count: Int, _ body: (Int) throws -> Void) throws {
    var errors = [(any Error)?](repeating: nil, count: count)
    errors.withUnsafeMutableBufferPointer { failed in
        Parallelism.forEachRange(count, work: count * (Parallelism.minimumWork / 64)) { range in
            for i in range {
                do { try body(i) } catch {
                    failed[i] = error
                    return
                }
            }
        }
    }
    if let first = errors.first(where: { $0 != nil }) { throw first! }
}
