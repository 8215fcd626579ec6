#ifndef GRAPHKIT_PREFETCH_H
#define GRAPHKIT_PREFETCH_H

/// Asks the CPU to start loading the cache lines of `bytes` bytes at `address`
/// for reading (a hint; it never faults). The sparse kernels call it a few
/// entries ahead, so that rows gathered at random arrive before they are used.
static inline void graphkit_prefetch(const void *address, long bytes) {
    const char *p = (const char *)address;
    for (long offset = 0; offset < bytes; offset += 64) {
        __builtin_prefetch(p + offset, 0, 3);
    }
}

#endif
