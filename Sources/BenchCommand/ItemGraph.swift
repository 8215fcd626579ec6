import ArgumentParser
import Dispatch
import Experiments
import Foundation
import GraphKit
import RecommenderCore

/// `bench item-graph`: the item kNN graph of one feature file, as LATTICE,
/// FREEDOM and MGCN build it, with its time and peak memory, and on request
/// written out for numpy.
struct ItemGraph: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "item-graph",
        abstract: "Build the item kNN graph of a feature file as LATTICE, FREEDOM and MGCN do (cosine similarity, the top k per item, no item × item matrix); print its time and peak memory, and write it for numpy with --to.")

    @Argument(help: "An item feature file: a 2-D .npy array, one row per item (float16, float32 or float64).")
    var features: String

    @Option(help: "Neighbours kept per item.")
    var k = 10

    @Flag(help: "Leave each item out of its own list (by default it competes like any other item, as in the three models).")
    var excludeSelf = false

    @Option(help: "A folder to write neighbours.npy (int32, items × k), similarities.npy (float32) and item-graph.json to (absent, empty, or an older item graph).")
    var to: String?

    func run() throws {
        let folder = to.map { URL(fileURLWithPath: $0).standardizedFileURL }
        let matrix: Tensor
        do {
            guard k >= 1 else { throw ConfigError(key: "--k", "got \(k); expected a positive integer") }
            if let folder { try AtomicFolder.checkDestination(folder, what: "item graph", marker: "item-graph.json") }
            matrix = try NumpyArray.loadMatrix(features)
        } catch let error as ConfigError {
            throw badInput("\(error)")
        } catch let error as DataError {
            throw badInput("\(error)")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let graph: NearestNeighbours
        do {
            graph = try NearestNeighbours(features: matrix, k: k, includeSelf: !excludeSelf, name: features)
        } catch let error as GraphError {
            throw badInput("\(error)")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let machine = MachineReport.current
        print("\(graph.count) items × \(matrix.cols) features: \(graph.k) neighbours each (\(excludeSelf ? "self excluded" : "self included")), in blocks of \(NearestNeighbours.blockRows(count: graph.count)) rows")
        print("  built in \(String(format: "%.3f", seconds)) s; peak memory of the process \(peakMemoryMegabytes()) MB")
        print("  on \(machine.cpuModel), \(machine.blasKernel), \(Parallelism.workers) threads")
        guard let folder else { return }
        let summary: [String: Any] = [
            "features": features, "items": graph.count, "feature_width": matrix.cols, "k": graph.k,
            "self_included": !excludeSelf, "similarity": "cosine", "ties": "lower item index first",
            "seconds": seconds, "cpu": machine.cpuModel, "blas_kernel": machine.blasKernel,
        ]
        do {
            try AtomicFolder.write(folder, what: "item graph") { dir in
                try NumpyArray.encodeInt32(graph.neighbours, rows: graph.count, cols: graph.k)
                    .write(to: dir.appendingPathComponent("neighbours.npy"))
                try NumpyArray.encode(Tensor(rows: graph.count, cols: graph.k, scalars: graph.similarities))
                    .write(to: dir.appendingPathComponent("similarities.npy"))
                try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
                    .write(to: dir.appendingPathComponent("item-graph.json"))
            }
        } catch let error as DataError {
            throw badInput("\(error)")
        }
        print("  wrote \(folder.path): neighbours.npy, similarities.npy (row i: item i's list, most similar first), item-graph.json")
    }
}

/// The process's peak resident memory so far, in MB (Linux reports ru_maxrss in KB).
func peakMemoryMegabytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss / 1024
}
