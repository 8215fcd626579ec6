import ArgumentParser
import Experiments
import Foundation
import GraphKit
import RecommenderCore

/// The exit status of a `bench evaluate` whose metrics differ from the stored
/// ones on the machine and BLAS kernel that stored them: a defect.
let checkpointMismatchStatus: Int32 = 3

/// `bench evaluate`: a checkpoint judged again.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reload a checkpoint, judge it again on validation and test, and compare with the metrics stored with it.")

    @Argument(help: "A checkpoint folder (bench train --checkpoint, or Results/STORE/checkpoints/KEY).")
    var checkpoint: String

    @Option(help: "Read the dataset from here instead of the path the checkpoint recorded (its files must be the same).")
    var dataset: String?

    func run() throws {
        let restored: RestoredCheckpoint
        do {
            restored = try RestoredCheckpoint(try Checkpoint.read(checkpoint), registry: registry, dataset: dataset)
        } catch let error as ConfigError {
            throw badInput("\(error)")
        } catch let error as DataError {
            throw badInput("\(error)")
        }
        let manifest = restored.checkpoint.manifest
        let machine = MachineReport.current
        let name = manifest.label == manifest.spec.model ? manifest.label : "\(manifest.label) (\(manifest.spec.model))"
        print("\(name) on \(manifest.spec.dataset), seed \(manifest.spec.seed), best epoch \(manifest.bestEpoch ?? 0), run \(manifest.key)")
        var differing: [String] = []
        for split in [Split.valid, .test] {
            let (result, keys) = try restored.evaluate(on: split)
            let shown = headlineMetrics.filter { result.values[$0] != nil }
            print("  \(split.name):\(split == .test ? " " : "") " + shown.map { "\($0) \(String(format: "%.4f", result[$0]))" }.joined(separator: "  "))
            differing += keys.map { key in
                let stored = (split == .test ? manifest.test : manifest.valid)?.values[key]
                return "\(split.name) \(key): stored \(stored.map { "\($0)" } ?? "none"), now \(result[key])"
            }
        }
        let sameMachine = manifest.cpu == machine.cpuModel && manifest.blasKernel == machine.blasKernel
        if differing.isEmpty {
            print("  every metric equals the stored one bit for bit (\(manifest.evaluation.metrics.count) on each split)")
        } else {
            print("  \(differing.count) metrics differ from the stored ones:")
            for line in differing { print("    " + line) }
        }
        print("  stored on \(manifest.cpu), \(manifest.blasKernel); now on \(machine.cpuModel), \(machine.blasKernel)")
        if !differing.isEmpty {
            if sameMachine { throw ExitCode(checkpointMismatchStatus) }
            print("  (another CPU or BLAS kernel rounds differently: small differences in the last digits are expected)")
        }
    }
}

/// `bench export`: a checkpoint's representations and recommendation lists, for Python.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a checkpoint's user and item vectors (users.npy, items.npy) and its top-K lists (MMRec's TSV layout) for numpy and pandas.")

    @Argument(help: "A checkpoint folder (bench train --checkpoint, or Results/STORE/checkpoints/KEY).")
    var checkpoint: String

    @Option(help: "The folder to write (absent, empty or an older export). Default: CHECKPOINT/export.")
    var to: String?

    @Option(help: "Length of each user's list. Default: the deepest metric's K (50 with the default metrics).")
    var k: Int?

    @Option(help: "The split the lists rank for: test (training items masked, and validation items when the run masked them) or valid (training items masked).")
    var split = "test"

    @Option(help: "Read the dataset from here instead of the path the checkpoint recorded (its files must be the same).")
    var dataset: String?

    func run() throws {
        let restored: RestoredCheckpoint
        let chosen: Split
        do {
            guard let s = [Split.valid, .test].first(where: { $0.name == split }) else {
                throw ConfigError(key: "--split", "got '\(split)'; expected test or valid")
            }
            chosen = s
            if let k, k < 1 { throw ConfigError(key: "--k", "got \(k); expected a positive integer") }
            let checkpoint = try Checkpoint.read(self.checkpoint)
            let folder = URL(fileURLWithPath: to ?? checkpoint.folder.appendingPathComponent("export").path).standardizedFileURL
            try RestoredCheckpoint.checkExportDestination(folder)
            restored = try RestoredCheckpoint(checkpoint, registry: registry, dataset: dataset)
            let length = k ?? restored.checkpoint.manifest.evaluation.metrics.map(\.k).max()!
            let manifest = try restored.export(to: folder, k: length, split: chosen)
            print("\(manifest.model) on \(manifest.dataset): wrote \(folder.path)")
            print("  \(manifest.users) (\(restored.dataset.userCount) users), \(manifest.items) (\(restored.dataset.itemCount) items): score = users[u] · items[i]")
            print("  \(manifest.recommendations): top \(length) of \(manifest.evaluatedUsers) users on \(manifest.split), \(manifest.masked.joined(separator: " and ")) items masked")
            let keys = headlineMetrics.filter { manifest.metrics[$0] != nil }
            print("  from these lists: " + keys.map { "\($0) \(String(format: "%.4f", manifest.metrics[$0]!))" }.joined(separator: "  "))
        } catch let error as ConfigError {
            throw badInput("\(error)")
        } catch let error as DataError {
            throw badInput("\(error)")
        }
    }
}
