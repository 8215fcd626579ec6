#ifndef MALLOC_TUNING_H
#define MALLOC_TUNING_H

/// Raises glibc's mmap and trim thresholds so that freed tensor buffers stay in
/// the process for reuse instead of returning to the kernel (see GraphKit's
/// AllocationTuning). Does nothing on other C libraries.
void graphkit_keep_freed_memory(void);

#endif
