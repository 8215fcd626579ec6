import CBLASKernel
import Foundation
import GraphKit
import Testing

/// The BLAS kernel in use and how it was chosen.
@Suite struct MachineReportTests {
    /// OpenBLAS's core names map to the instruction set their kernels need.
    @Test func coreNamesMapToTheirInstructionSets() {
        let expected: [(String, Int32)] = [
            ("Prescott", 1), ("Nehalem", 1), ("Core2", 1), ("Sandybridge", 2), ("Haswell", 3), ("Zen", 3),
            ("SkylakeX", 4), ("Cooperlake", 4), ("skylakex", 4), ("NoSuchCore", -1),
        ]
        for (name, level) in expected {
            #expect(graphkit_kernel_isa_level(name) == level, "\(name)")
        }
    }

    /// Unless the user pinned a kernel, the one running is for this CPU's
    /// best instruction set (AVX and up), never one it cannot execute: the
    /// test runner was restarted before main where OpenBLAS fell back.
    @Test func theKernelInUseIsTheBestThisCPUExecutes() throws {
        let machine = MachineReport.current
        let cpuLevel = graphkit_cpu_isa_level()
        let kernelLevel = graphkit_kernel_isa_level(machine.kernel)
        #expect(kernelLevel <= cpuLevel, "\(machine.kernel) on \(machine.cpuFeatures)")
        let pinned = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil && !machine.kernelChosenBySuite
        if !pinned && cpuLevel >= 2 {
            #expect(kernelLevel == cpuLevel, "\(machine.kernel), \(machine.kernelChoice), CPU level \(cpuLevel)")
        }
        #expect(machine.blasKernel == "OpenBLAS \(machine.openBLASVersion) \(machine.kernel)")
        #expect(machine.openBLASConfig.hasPrefix("OpenBLAS "))
    }

    /// The CPU's features, read by cpuid, agree with the kernel's level:
    /// AVX-512 F/CD/BW/DQ/VL for level 4, AVX2 and FMA for level 3.
    @Test func featuresAgreeWithTheLevel() {
        let features = Set(MachineReport.current.cpuFeatures)
        let level = graphkit_cpu_isa_level()
        #expect((level >= 4) == ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"].allSatisfy(features.contains))
        #expect((level >= 3) == ["avx2", "fma", "avx"].allSatisfy(features.contains))
        if let second = MachineReport.current.secondKernel {
            #expect(graphkit_kernel_isa_level(second) == graphkit_kernel_isa_level(MachineReport.current.kernel) - 1)
        }
    }
}
