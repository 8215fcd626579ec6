// graphkit_prefetch is a static inline function in include/prefetch.h; this
// file only gives SwiftPM a source to build the target from.
#include "prefetch.h"
