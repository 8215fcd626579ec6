import ArgumentParser
import Foundation
import GraphKit
import Experiments
import ModelRegistry
import RecommenderCore

/// `bench train`: one model, one seed, to early stop, with a summary.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one model with one seed to early stop and report its test metrics at the best validation epoch.")

    @Option(help: "The dataset: a built-in name (tiktok, baby, microlens-10k, mmgcn-toy), or a path to a dataset descriptor (.json), an MMRec dataset folder (NAME.inter, image_feat.npy, text_feat.npy, audio_feat.npy) or its .inter file.")
    var dataset = "tiktok"

    @Option(help: "Registered model name.")
    var model = "LightGCN"

    @Option(name: .customLong("set"), parsing: .upToNextOption,
            help: "Model hyper-parameters as key=value (value: number, true/false or string).")
    var settings: [String] = []

    @Option(help: "Maximum epochs.") var epochs = 1000
    @Option(name: .customLong("batch-size"), help: "Batch size.") var batchSize = 2048
    @Option(name: .customLong("learning-rate"), help: "Adam learning rate.") var learningRate = 0.001
    @Option(name: .customLong("weight-decay"), help: "Adam weight decay.") var weightDecay = 0.0
    @Option(help: "Early-stopping patience, in validations.") var patience = 20
    @Option(name: .customLong("negative-items"),
            help: "Items negatives are drawn from: all (any the user has not trained on) or trained (only items that occur in training, as MMRec draws them).")
    var negativeItems = "all"
    @Option(name: .customLong("mask-valid-in-test"),
            help: "Mask the user's validation items when testing (MMRec does not: false).")
    var maskValidInTest = true
    @Option(name: .customLong("valid-metric"), help: "Validation metric that decides early stopping.")
    var validMetric = "recall@20"
    @Option(name: .customLong("valid-decimals"),
            help: "Round the validation metric to this many decimals before early stopping compares it (MMRec rounds to 4). Default: full precision.")
    var validDecimals: Int?
    @Option(help: "Seed of initialisation, sampling and dropout.") var seed: UInt64 = 2024
    @Option(help: "Write the run's result as JSON to this path.") var output: String?
    @Option(help: "Keep the trained parameters of the best validation epoch in this folder (absent, empty or an older checkpoint), for bench evaluate and bench export. Default: checkpoints/MODEL-DATASET-KEY in the working directory.")
    var checkpoint: String?
    @Flag(name: .customLong("no-checkpoint"), help: "Keep no checkpoint.") var noCheckpoint = false
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        do {
            try train()
        } catch let error as ConfigError {
            throw badInput("\(error)")
        } catch let error as DataError {
            throw badInput("\(error)")
        }
    }

    func train() throws {
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let reference = DatasetReference(dataset, base: here, configsRoot: Repository.configs)
        let (descriptor, found) = try reference.load()
        if let found, !quiet { FileHandle.standardError.write(Data("bench: \(found)\n".utf8)) }
        let data = try Dataset(descriptor: descriptor)
        let type = try registry.model(named: model)
        var given: [String: HyperparameterValue] = [:]
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ConfigError(key: "--set", "'\(setting)' is not key=value") }
            given[parts[0]] = parseValue(parts[1])
        }
        let hyper = try Hyperparameters(given, specs: type.hyperparameters, model: type.name)
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.weightDecay = weightDecay
        options.patience = patience
        for (flag, value) in [("--epochs", epochs), ("--batch-size", batchSize), ("--patience", patience)] where value < 1 {
            throw ConfigError(key: flag, "got \(value); expected a positive integer")
        }
        let decimals = EarlyStopping.decimalsRange
        if let validDecimals, !decimals.contains(validDecimals) {
            throw ConfigError(key: "--valid-decimals", "got \(validDecimals); expected an integer from \(decimals.lowerBound) to \(decimals.upperBound)")
        }
        options.validDecimals = validDecimals
        options.validMetric = try MetricKey(parsing: validMetric, key: "--valid-metric")
        guard let pool = NegativeItems(rawValue: negativeItems) else {
            throw ConfigError(key: "--negative-items", "got '\(negativeItems)'; expected all or trained")
        }
        options.negativeItems = pool == .all ? nil : pool
        let progress = ProgressReporter(label: "[\(type.name) \(data.name) seed \(seed)]", mode: quiet ? .quiet : .automatic)
        progress.note("\n" + data.summary)
        reportWarnings([data])
        let machine = MachineReport.current
        progress.note("computing on \(machine.cpuModel) with \(machine.blasKernel) (\(machine.kernelChoice)), \(Parallelism.workers) threads")
        // The default metrics, and the validation metric at its own K when that
        // is not among them (recall@5, say), so that early stopping can read it.
        let metrics = Array(Set(EvaluationProtocol.defaultMetrics + [options.validMetric]))
        let evaluator = Evaluator(dataset: data, protocol: EvaluationProtocol(metrics: metrics, maskValidInTest: maskValidInTest))
        let popular = try evaluator.evaluate(MostPopular(dataset: data), on: .valid)
        progress.note("most-popular valid \(options.validMetric) \(String(format: "%.4f", popular[options.validMetric]))")
        let instance = try type.init(dataset: data, hyperparameters: hyper, seed: seed)
        if !instance.settingsRun.isEmpty {
            let ran = instance.settingsRun.sorted { $0.key < $1.key }.map { key, value in
                "\(key) \(value) (resolved: \(hyper.values[key].map(\.description) ?? "none"))"
            }
            progress.note("runs with " + ran.joined(separator: ", "))
        }
        let spec = RunSpec(model: type, hyperparameters: hyper, training: options, seed: seed, dataset: data.name,
                           datasetFiles: try RunSpec.fileHashes(descriptor), evaluation: evaluator.evaluationProtocol,
                           sampledTest: nil)
        if checkpoint != nil && noCheckpoint {
            throw ConfigError(key: "--checkpoint", "given with --no-checkpoint; give one or the other")
        }
        let destination = noCheckpoint ? nil
            : URL(fileURLWithPath: checkpoint ?? "checkpoints/\(type.name)-\(data.name)-\(spec.key)", relativeTo: here)
                .standardizedFileURL
        if let destination { try Checkpoint.checkDestination(destination) }
        let result = Trainer(dataset: data, options: options, evaluator: evaluator).train(instance, seed: seed, progress: progress)
        var saved: Checkpoint?
        if let destination, result.status == .finished {
            let manifest = CheckpointManifest(
                key: spec.key, spec: spec, given: given, label: type.name,
                dataset: .init(written: dataset, path: reference.path),
                evaluation: .init(evaluator.evaluationProtocol), bestEpoch: result.bestEpoch,
                valid: result.valid, test: result.test, cpu: machine.cpuModel, blasKernel: machine.blasKernel,
                written: ISO8601DateFormatter().string(from: Date()), tensors: [])
            saved = try Checkpoint.write(instance, manifest: manifest, to: destination)
        }
        if let output {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(result), to: output)
        }
        print(summary(result, model: type.name, dataset: data.name))
        if let saved {
            let path = saved.folder.path.hasPrefix(here.path + "/") ? String(saved.folder.path.dropFirst(here.path.count + 1))
                : saved.folder.path
            print("  checkpoint: \(path) (bench evaluate \(path); bench export \(path))")
        }
        if result.status == .failed { throw ExitCode(runsFailedStatus) }
    }

    func summary(_ r: TrainingResult, model: String, dataset: String) -> String {
        var lines = ["\(model) on \(dataset), seed \(seed): \(r.status.rawValue) (\(r.stopReason))"]
        if let failure = r.failure { lines.append("  failure: \(failure)") }
        if let best = r.bestEpoch, let valid = r.valid, let test = r.test {
            let keys = headlineMetrics
            lines.append(r.epochs.isEmpty ? "  not trained: scored as built" : "  best epoch \(best) of \(r.epochs.count)")
            lines.append("  valid: " + keys.map { "\($0) \(String(format: "%.4f", valid[$0]))" }.joined(separator: "  "))
            lines.append("  test:  " + keys.map { "\($0) \(String(format: "%.4f", test[$0]))" }.joined(separator: "  "))
            lines.append("  test users evaluated \(test.evaluatedUsers), left out for lack of training data \(test.usersWithoutTraining)")
        }
        lines.append(String(format: "  %.3f s/epoch training, %.3f s per full-ranking validation pass, %.1f s in all",
                            r.secondsPerEpoch, r.secondsPerEvaluation, r.totalSeconds))
        let machine = MachineReport.current
        lines.append("  on \(machine.cpuModel), \(machine.blasKernel), \(Parallelism.workers) threads")
        return lines.joined(separator: "\n")
    }
}

/// The metrics a summary line shows, in this order.
let headlineMetrics = [MetricKey(.recall, at: 20), MetricKey(.ndcg, at: 20), MetricKey(.precision, at: 20),
                       MetricKey(.hit, at: 20), MetricKey(.map, at: 20)]

/// A command-line value as JSON would read it: bool, integer, real or string.
func parseValue(_ text: String) -> HyperparameterValue {
    if text == "true" { return .bool(true) }
    if text == "false" { return .bool(false) }
    if let i = Int(text) { return .int(i) }
    if let d = Double(text) { return .double(d) }
    return .string(text)
}
