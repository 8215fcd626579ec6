#ifndef BLAS_KERNEL_H
#define BLAS_KERNEL_H

/// How OpenBLAS's kernel was chosen for this process (see GraphKit's
/// `MachineReport`). A constructor in this target runs before `main`: when
/// OpenBLAS (built with DYNAMIC_ARCH) fell back to a kernel for an older
/// instruction set than this CPU runs, because it did not recognise the CPU,
/// it sets OPENBLAS_CORETYPE to the best kernel the CPU and the operating
/// system can execute and starts the same program again, before any work.

/// Instruction-set levels, in the order OpenBLAS's kernels need them.
enum graphkit_isa_level {
    GRAPHKIT_ISA_UNKNOWN = -1,
    GRAPHKIT_ISA_SSE = 1,     /* SSE2/SSE3: Prescott, Core2, Nehalem, ... */
    GRAPHKIT_ISA_AVX = 2,     /* Sandybridge, Bulldozer, ... */
    GRAPHKIT_ISA_AVX2 = 3,    /* AVX2 and FMA3: Haswell, Zen */
    GRAPHKIT_ISA_AVX512 = 4,  /* AVX-512 F/CD/BW/DQ/VL: SkylakeX, Cooperlake */
};

/// The highest level this CPU executes, with the operating system saving the
/// wider registers (XCR0) where the level needs them.
int graphkit_cpu_isa_level(void);

/// The CPU's brand string (cpuid 0x80000002-4), trimmed; "" if it has none.
const char *graphkit_cpu_model(void);

/// The CPU's instruction-set extensions that matter for numeric kernels,
/// space separated in lscpu's spelling ("sse3 ssse3 ... avx512f ...").
const char *graphkit_cpu_features(void);

/// The level an OpenBLAS core name needs, or GRAPHKIT_ISA_UNKNOWN.
int graphkit_kernel_isa_level(const char *core_name);

/// The OpenBLAS kernel the suite picks for this CPU (NULL for SSE-only CPUs,
/// where OpenBLAS's own choice stands).
const char *graphkit_kernel_for_cpu(void);

/// A kernel for the instruction set one level below the one in use, which
/// this CPU also executes and which rounds differently: for a second test
/// pass (NULL when the kernel in use is already an SSE one).
const char *graphkit_second_kernel(void);

/// The core name OpenBLAS had picked by itself before the suite restarted
/// the process with OPENBLAS_CORETYPE set, or NULL if the suite did not.
const char *graphkit_kernel_fallback(void);

/// Why the process kept OpenBLAS's own choice, when the suite did not step in
/// and could have wanted to ("" otherwise): the user's OPENBLAS_CORETYPE, a
/// build without DYNAMIC_ARCH, a failed restart.
const char *graphkit_kernel_note(void);

/// The instruction-set extensions this build's C code was compiled for
/// (from -march), space separated, or "x86-64" for the portable baseline.
const char *graphkit_build_isa(void);

#endif
