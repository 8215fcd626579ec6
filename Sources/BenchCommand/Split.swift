import ArgumentParser
import RecommenderCore

/// `bench split`: raw (user, item[, time]) data to an `.inter` file.
struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split raw 'user item [time]' interactions per user 8:1:1 into an MMRec .inter file.",
        discussion: "Writes OUTPUT and, beside it, u_id_mapping.tsv and i_id_mapping.tsv from the raw ids to the dense 0-based ids.")

    @Argument(help: "Raw interactions: user, item and optional time, separated by tabs, commas or spaces.")
    var input: String

    @Argument(help: "The .inter file to write.")
    var output: String

    @Option(help: "random (per-user, seeded) or chronological (per-user, by time).")
    var method = "random"

    @Option(help: "Seed of the random split.") var seed: UInt64 = 42
    @Option(help: "Share of each user's interactions for validation.") var valid = 0.1
    @Option(help: "Share of each user's interactions for test.") var test = 0.1

    func run() throws {
        let splitMethod: InteractionSplitter.Method
        switch method {
        case "random": splitMethod = .random(seed: seed)
        case "chronological": splitMethod = .chronological
        default: throw ValidationError("--method: '\(method)'; expected random or chronological")
        }
        guard valid >= 0, test >= 0, valid + test < 1 else {
            throw ValidationError("--valid \(valid) and --test \(test) must be non-negative and sum to less than 1")
        }
        do {
            let raw = try RawInteractions.load(input)
            let result = try InteractionSplitter.split(raw, method: splitMethod, valid: valid, test: test)
            try InteractionSplitter.write(result, to: output)
            let counts = Split.allCases.map { s in "\(s.name) \(result.splits.lazy.filter { $0 == s }.count)" }
            print("\(output): \(result.userIds.count) users, \(result.itemIds.count) items; " + counts.joined(separator: ", "))
        } catch let error as DataError {
            throw badInput("\(error)")
        }
    }
}
