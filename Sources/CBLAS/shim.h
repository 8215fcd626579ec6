// OpenBLAS's cblas interface and the LAPACKE C interface (Debian: libopenblas-dev, liblapacke-dev).
#include <cblas.h>
#include <lapacke.h>
