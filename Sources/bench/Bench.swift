import ArgumentParser

/// The suite's command-line entry point.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Train and evaluate multimodal graph recommenders on one protocol, and write comparison tables.",
        subcommands: [Run.self, Table.self, Validate.self, Models.self, Train.self, SplitCommand.self, Plan.self, Merge.self, Slurm.self, Env.self])
}
