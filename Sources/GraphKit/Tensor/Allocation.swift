import CMallocTuning

/// Keeps freed tensor storage inside the process.
///
/// Every op allocates its output, and a training step frees them all again.
/// With glibc's defaults, buffers of a few MB go back to the kernel on free and
/// come back as fresh zero pages on the next step, so a third of a LightGCN
/// step was spent in page faults. Raising the mmap and trim thresholds lets
/// malloc reuse them. Applied once, when the first tape is made.
enum AllocationTuning {
    static let applied: Void = { graphkit_keep_freed_memory() }()
}
