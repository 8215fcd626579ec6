import CBLAS
import CBLASKernel
import Foundation

/// The CPU, the BLAS kernel and the build a process computes with: what a
/// result's last digits depend on, so every figure and run record names it.
///
/// The kernel is OpenBLAS's core for this CPU. When OpenBLAS did not
/// recognise the CPU and fell back to kernels for an older instruction set
/// (Debian's 0.3.21 runs its SSE3 "Prescott" kernels on Sapphire Rapids and
/// newer Xeons), the CBLASKernel target has already restarted the process
/// with `OPENBLAS_CORETYPE` set to the best kernel this CPU executes, before
/// `main`; an `OPENBLAS_CORETYPE` the user set is left alone.
public struct MachineReport: Sendable, Equatable {
    /// The CPU's brand string, such as "Intel(R) Xeon(R) Processor".
    public var cpuModel: String
    /// The CPU's vector extensions, as lscpu spells them.
    public var cpuFeatures: [String]
    /// OpenBLAS's build line, such as "OpenBLAS 0.3.21 DYNAMIC_ARCH ... Haswell MAX_THREADS=64".
    public var openBLASConfig: String
    /// The OpenBLAS core whose kernels run, such as "SkylakeX".
    public var kernel: String
    /// How that kernel was chosen, in a sentence.
    public var kernelChoice: String
    /// Whether the kernel was chosen by the suite over OpenBLAS's fallback.
    public var kernelChosenBySuite: Bool
    /// The instruction set the build's C code was compiled for.
    public var buildTarget: String
    /// A kernel one instruction-set level below the one in use, which this
    /// CPU executes and which rounds differently (nil below AVX): tests run
    /// a second time under it, so that no result holds on one kernel only.
    public var secondKernel: String?

    /// This process's machine.
    public static let current = MachineReport()

    private init() {
        cpuModel = String(cString: graphkit_cpu_model())
        if cpuModel.isEmpty { cpuModel = "unknown CPU" }
        cpuFeatures = String(cString: graphkit_cpu_features()).split(separator: " ").map(String.init)
        openBLASConfig = String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces)
        kernel = String(cString: openblas_get_corename()).trimmingCharacters(in: .whitespaces)
        buildTarget = String(cString: graphkit_build_isa())
        secondKernel = graphkit_second_kernel().map { String(cString: $0) }
        let note = String(cString: graphkit_kernel_note())
        if let fallback = graphkit_kernel_fallback() {
            kernelChosenBySuite = true
            kernelChoice = "chosen by the suite from the CPU's features: OpenBLAS had fallen back to \(String(cString: fallback)), an older instruction set's kernels, on a CPU it does not recognise"
        } else {
            kernelChosenBySuite = false
            kernelChoice = note.isEmpty ? "chosen by OpenBLAS for this CPU" : note
        }
    }

    /// The OpenBLAS version, from its build line ("0.3.21").
    public var openBLASVersion: String {
        let words = openBLASConfig.split(separator: " ")
        return words.count > 1 && words[0] == "OpenBLAS" ? String(words[1]) : "unknown"
    }

    /// The library and kernel in a few words, as run records and tables name
    /// them: "OpenBLAS 0.3.21 SkylakeX".
    public var blasKernel: String { "OpenBLAS \(openBLASVersion) \(kernel)" }
}
