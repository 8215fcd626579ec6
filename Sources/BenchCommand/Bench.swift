import ArgumentParser
import Foundation
import ModelRegistry
import Synchronization

/// The `bench` command line, callable from another package's executable with
/// a registry that includes that package's own models:
///
/// ```swift
/// import BenchCommand
/// import ModelRegistry
/// BenchCLI.main(registry: ModelRegistry(models: ModelRegistry.standard.models + [ItemKNNModel.self]))
/// ```
public enum BenchCLI {
    /// Parses `arguments` (by default the process's) and runs the subcommand
    /// with `registry`'s models; exits the process when done.
    public static func main(registry: ModelRegistry = .standard, arguments: [String]? = nil) -> Never {
        activeRegistry.withLock { $0 = registry }
        Bench.main(arguments)
        exit(0)
    }
}

/// The registry the subcommands resolve model names in.
let activeRegistry = Mutex<ModelRegistry>(.standard)

/// The models `bench` knows in this process (`BenchCLI.main(registry:)`).
var registry: ModelRegistry { activeRegistry.withLock { $0 } }

/// The suite's command-line entry point.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Train and evaluate multimodal graph recommenders on one protocol, and write comparison tables.",
        subcommands: [Run.self, Table.self, Validate.self, Models.self, Train.self, Evaluate.self, Export.self, SplitCommand.self, Plan.self, Merge.self,
                      Compare.self, Slurm.self, Env.self, ItemGraph.self])
}
