#include "blas_kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define GRAPHKIT_X86 1
#endif

/* OpenBLAS's own introspection (cblas.h declares them too, under a header
   path that differs between distributions). */
extern char *openblas_get_corename(void);
extern char *openblas_get_config(void);

/* The environment that carries the choice across the restart: the kernel
   the suite set, and the one OpenBLAS had picked by itself. */
static const char *const chosen_variable = "GRAPHKIT_BLAS_CHOSEN";
static const char *const fallback_variable = "GRAPHKIT_BLAS_FALLBACK";

static char note[256] = "";

/* MARK: CPU features */

typedef struct {
    unsigned leaf1_ecx, leaf1_edx, leaf7_ebx, leaf7_ecx, leaf7_edx, leaf7_1_eax;
    unsigned long long xcr0;
} cpu_registers;

static cpu_registers read_registers(void) {
    cpu_registers r = {0};
#if GRAPHKIT_X86
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) { r.leaf1_ecx = c; r.leaf1_edx = d; }
    if (__get_cpuid_max(0, 0) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        r.leaf7_ebx = b; r.leaf7_ecx = c; r.leaf7_edx = d;
        unsigned subleaves = a;
        if (subleaves >= 1) { __cpuid_count(7, 1, a, b, c, d); r.leaf7_1_eax = a; }
    }
    /* XCR0 says which register files the operating system saves: without
       that, AVX or AVX-512 instructions fault even where cpuid lists them. */
    if (r.leaf1_ecx & (1u << 27)) { /* OSXSAVE */
        unsigned lo, hi;
        __asm__ volatile ("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        r.xcr0 = ((unsigned long long)hi << 32) | lo;
    }
#endif
    return r;
}

#define BIT(reg, n) (((reg) >> (n)) & 1u)

static int os_saves_avx(const cpu_registers *r) { return (r->xcr0 & 0x6) == 0x6; }
static int os_saves_avx512(const cpu_registers *r) { return (r->xcr0 & 0xe6) == 0xe6; }

int graphkit_cpu_isa_level(void) {
#if GRAPHKIT_X86
    cpu_registers r = read_registers();
    int avx = BIT(r.leaf1_ecx, 28) && os_saves_avx(&r);
    int avx2 = avx && BIT(r.leaf7_ebx, 5) && BIT(r.leaf1_ecx, 12); /* AVX2 and FMA3 */
    int avx512 = avx2 && os_saves_avx512(&r) && BIT(r.leaf7_ebx, 16) && BIT(r.leaf7_ebx, 28)
        && BIT(r.leaf7_ebx, 30) && BIT(r.leaf7_ebx, 17) && BIT(r.leaf7_ebx, 31); /* F CD BW DQ VL */
    if (avx512) return GRAPHKIT_ISA_AVX512;
    if (avx2) return GRAPHKIT_ISA_AVX2;
    if (avx) return GRAPHKIT_ISA_AVX;
    return GRAPHKIT_ISA_SSE;
#else
    return GRAPHKIT_ISA_UNKNOWN;
#endif
}

const char *graphkit_cpu_model(void) {
    static char brand[49] = "";
#if GRAPHKIT_X86
    if (brand[0] == 0 && __get_cpuid_max(0x80000000, 0) >= 0x80000004) {
        unsigned *words = (unsigned *)brand;
        for (unsigned leaf = 0; leaf < 3; leaf++)
            __cpuid(0x80000002 + leaf, words[4 * leaf], words[4 * leaf + 1], words[4 * leaf + 2], words[4 * leaf + 3]);
        brand[48] = 0;
        /* Trim the leading and trailing blanks some vendors pad with. */
        char *start = brand;
        while (*start == ' ') start++;
        memmove(brand, start, strlen(start) + 1);
        for (size_t n = strlen(brand); n > 0 && brand[n - 1] == ' '; n--) brand[n - 1] = 0;
    }
#endif
    return brand;
}

const char *graphkit_cpu_features(void) {
    static char list[512] = "";
#if GRAPHKIT_X86
    if (list[0] != 0) return list;
    cpu_registers r = read_registers();
    struct { unsigned reg; int bit; const char *name; int needs; } table[] = {
        /* needs: 0 none, 1 AVX state saved, 2 AVX-512 state saved */
        {r.leaf1_edx, 26, "sse2", 0}, {r.leaf1_ecx, 0, "sse3", 0}, {r.leaf1_ecx, 9, "ssse3", 0},
        {r.leaf1_ecx, 19, "sse4_1", 0}, {r.leaf1_ecx, 20, "sse4_2", 0},
        {r.leaf1_ecx, 28, "avx", 1}, {r.leaf1_ecx, 12, "fma", 1}, {r.leaf1_ecx, 29, "f16c", 1},
        {r.leaf7_ebx, 5, "avx2", 1}, {r.leaf7_1_eax, 4, "avx_vnni", 1},
        {r.leaf7_ebx, 16, "avx512f", 2}, {r.leaf7_ebx, 28, "avx512cd", 2}, {r.leaf7_ebx, 30, "avx512bw", 2},
        {r.leaf7_ebx, 17, "avx512dq", 2}, {r.leaf7_ebx, 31, "avx512vl", 2}, {r.leaf7_ebx, 21, "avx512ifma", 2},
        {r.leaf7_ecx, 1, "avx512vbmi", 2}, {r.leaf7_ecx, 11, "avx512_vnni", 2},
        {r.leaf7_1_eax, 5, "avx512_bf16", 2}, {r.leaf7_edx, 23, "avx512_fp16", 2},
    };
    size_t used = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (!BIT(table[i].reg, table[i].bit)) continue;
        if (table[i].needs == 1 && !os_saves_avx(&r)) continue;
        if (table[i].needs == 2 && !os_saves_avx512(&r)) continue;
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? " " : "", table[i].name);
    }
#endif
    return list;
}

/* MARK: OpenBLAS kernels */

int graphkit_kernel_isa_level(const char *core_name) {
    static const char *const sse[] = {
        "Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Core2", "Penryn", "Dunnington",
        "Nehalem", "Atom", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Bobcat", "Nano", "Unknown",
    };
    static const char *const avx[] = {"Sandybridge", "Bulldozer", "Piledriver", "Steamroller", "Excavator"};
    static const char *const avx2[] = {"Haswell", "Zen"};
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
    struct { const char *const *names; size_t count; int level; } groups[] = {
        {sse, sizeof sse / sizeof *sse, GRAPHKIT_ISA_SSE},
        {avx, sizeof avx / sizeof *avx, GRAPHKIT_ISA_AVX},
        {avx2, sizeof avx2 / sizeof *avx2, GRAPHKIT_ISA_AVX2},
        {avx512, sizeof avx512 / sizeof *avx512, GRAPHKIT_ISA_AVX512},
    };
    if (core_name == NULL) return GRAPHKIT_ISA_UNKNOWN;
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++)
        for (size_t i = 0; i < groups[g].count; i++)
            if (strcasecmp(core_name, groups[g].names[i]) == 0) return groups[g].level;
    return GRAPHKIT_ISA_UNKNOWN;
}

/* The kernel the suite runs at each level. Cooperlake adds only bfloat16
   routines to SkylakeX's: the same sgemm. */
static const char *kernel_for_level(int level) {
    switch (level) {
    case GRAPHKIT_ISA_AVX512: return "SkylakeX";
    case GRAPHKIT_ISA_AVX2: return "Haswell";
    case GRAPHKIT_ISA_AVX: return "Sandybridge";
    case GRAPHKIT_ISA_SSE: return "Nehalem";
    default: return NULL;
    }
}

const char *graphkit_kernel_for_cpu(void) {
    int level = graphkit_cpu_isa_level();
    return level >= GRAPHKIT_ISA_AVX ? kernel_for_level(level) : NULL;
}

const char *graphkit_second_kernel(void) {
    int level = graphkit_kernel_isa_level(openblas_get_corename());
    if (level == GRAPHKIT_ISA_UNKNOWN || level > graphkit_cpu_isa_level()) level = graphkit_cpu_isa_level();
    return level >= GRAPHKIT_ISA_AVX ? kernel_for_level(level - 1) : NULL;
}

const char *graphkit_kernel_fallback(void) {
    const char *chosen = getenv(chosen_variable);
    const char *coretype = getenv("OPENBLAS_CORETYPE");
    if (chosen == NULL || coretype == NULL || strcmp(chosen, coretype) != 0) return NULL;
    return getenv(fallback_variable);
}

const char *graphkit_kernel_note(void) { return note; }

/* The level this build's C code needs, from the compiler's -march macros. */
static int build_isa_level(void) {
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
    return GRAPHKIT_ISA_AVX512;
#elif defined(__AVX2__) && defined(__FMA__)
    return GRAPHKIT_ISA_AVX2;
#elif defined(__AVX__)
    return GRAPHKIT_ISA_AVX;
#else
    return GRAPHKIT_ISA_SSE;
#endif
}

const char *graphkit_build_isa(void) {
#if !defined(__x86_64__)
    return "not x86-64";
#else
    switch (build_isa_level()) {
    case GRAPHKIT_ISA_AVX512: return "x86-64 with avx2 fma avx512f avx512bw avx512dq avx512vl";
    case GRAPHKIT_ISA_AVX2: return "x86-64 with avx2 fma";
    case GRAPHKIT_ISA_AVX: return "x86-64 with avx";
    default: return "x86-64";
    }
#endif
}

/* MARK: Before main */

#if defined(__GLIBC__) && GRAPHKIT_X86
/* glibc passes argc, argv and envp to a constructor of the main program. */
__attribute__((constructor))
static void graphkit_choose_blas_kernel(int argc, char **argv, char **envp) {
    (void)argc; (void)envp;
    /* A build for a newer CPU than this one would die of an illegal
       instruction somewhere in the first product: say why instead. */
    if (build_isa_level() > graphkit_cpu_isa_level()) {
        fprintf(stderr, "error: this build was compiled for %s, which this CPU (%s: %s) does not execute; "
                        "rebuild it portable (make clean && make, without TARGET_CPU)\n",
                graphkit_build_isa(), graphkit_cpu_model(), graphkit_cpu_features());
        _exit(70);
    }
    const char *coretype = getenv("OPENBLAS_CORETYPE");
    if (coretype != NULL) {
        const char *chosen = getenv(chosen_variable);
        if (chosen == NULL || strcmp(chosen, coretype) != 0)
            snprintf(note, sizeof note, "OPENBLAS_CORETYPE=%s set by the user", coretype);
        return;
    }
    const char *config = openblas_get_config();
    const char *core = openblas_get_corename();
    const char *best = graphkit_kernel_for_cpu();
    int level = graphkit_kernel_isa_level(core);
    if (best == NULL || level == GRAPHKIT_ISA_UNKNOWN || level >= graphkit_kernel_isa_level(best)) return;
    if (config == NULL || strstr(config, "DYNAMIC_ARCH") == NULL) {
        snprintf(note, sizeof note, "OpenBLAS was built for %s alone (no DYNAMIC_ARCH), so %s cannot be chosen", core, best);
        return;
    }
    char fallback[64];
    snprintf(fallback, sizeof fallback, "%s", core);
    if (setenv("OPENBLAS_CORETYPE", best, 1) == 0 && setenv(chosen_variable, best, 1) == 0
        && setenv(fallback_variable, fallback, 1) == 0) {
        execv("/proc/self/exe", argv);
    }
    /* Still here: the restart failed; carry on with OpenBLAS's own kernel. */
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv(chosen_variable);
    unsetenv(fallback_variable);
    snprintf(note, sizeof note, "restarting with OPENBLAS_CORETYPE=%s failed", best);
}
#endif
