import ArgumentParser
import Foundation
import GraphKit

/// `bench env`: what this process computes with, for bug reports and figures.
struct Env: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the CPU, its vector extensions, the OpenBLAS kernel in use and why, the worker threads and the build's target.",
        discussion: "Every run record stores the CPU and the BLAS kernel, and every table names them: results are the same bits for a seed on one CPU and kernel, and differ in the last digits across kernels.")

    @Flag(name: .customLong("second-kernel"),
          help: "Print only a second OpenBLAS kernel this CPU executes, one instruction-set level below the one in use (for a test pass under other rounding); nothing below AVX.")
    var secondKernel = false

    func run() {
        let machine = MachineReport.current
        if secondKernel {
            if let name = machine.secondKernel { print(name) }
            return
        }
        print("cpu:          \(machine.cpuModel)")
        print("features:     \(machine.cpuFeatures.joined(separator: " "))")
        print("openblas:     \(machine.openBLASConfig)")
        print("blas kernel:  \(machine.kernel), \(machine.kernelChoice)")
        print("workers:      \(Parallelism.workers) threads (of \(ProcessInfo.processInfo.activeProcessorCount) active cores)")
        print("build target: \(machine.buildTarget)")
        print("second kernel for tests: \(machine.secondKernel ?? "none (the kernel in use is an SSE one)")")
    }
}
