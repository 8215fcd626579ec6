import Foundation
import GraphKit
import RecommenderCore

/// A trained model on disk, readable from Python without this suite: a
/// folder with `checkpoint.json` (`CheckpointManifest`) and one float32
/// `.npy` per parameter and buffer, holding the values of the best
/// validation epoch (the trainer leaves them in the model after testing).
///
///     checkpoint.json
///     tensors/00-user_embedding.npy
///     tensors/01-item_embedding.npy
///
/// `bench evaluate` rebuilds the model from the manifest, loads the tensors
/// and judges it again; `bench export` writes its representations and
/// recommendation lists.
public struct Checkpoint {
    public let folder: URL
    public let manifest: CheckpointManifest

    /// Writes `model`'s parameters and buffers with `manifest` (its `tensors`
    /// are filled in here) to `folder`, whole or not at all: into a hidden
    /// folder beside it, then renamed into place, replacing an older
    /// checkpoint there.
    @discardableResult
    public static func write(_ model: Recommender, manifest: CheckpointManifest, to folder: URL) throws -> Checkpoint {
        var manifest = manifest
        try AtomicFolder.write(folder, what: "checkpoint") { temporary in
            try FileManager.default.createDirectory(at: temporary.appendingPathComponent("tensors"),
                                                    withIntermediateDirectories: true)
            let saved = model.parameters.map { ($0, CheckpointManifest.Role.parameter) }
                + model.buffers.map { ($0, CheckpointManifest.Role.buffer) }
            manifest.tensors = []
            for (n, (parameter, role)) in saved.enumerated() {
                let file = "tensors/" + String(format: "%02d-", n) + fileName(parameter.name) + ".npy"
                try NumpyArray.encode(parameter.value).write(to: temporary.appendingPathComponent(file))
                manifest.tensors.append(.init(name: parameter.name, role: role, file: file,
                                              shape: [parameter.value.rows, parameter.value.cols]))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(manifest).write(to: temporary.appendingPathComponent(CheckpointManifest.fileName))
        }
        return Checkpoint(folder: folder, manifest: manifest)
    }

    /// A parameter name as a file name: letters, digits, `.`, `-` and `_` kept, others `_`.
    static func fileName(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
    }

    /// Whether `folder` may receive a checkpoint: absent, empty, or holding
    /// one (which is replaced); checked before training.
    public static func checkDestination(_ folder: URL) throws {
        try AtomicFolder.checkDestination(folder, what: "checkpoint", marker: CheckpointManifest.fileName)
    }

    /// Reads the checkpoint in `folder` (the folder, or its `checkpoint.json`).
    public static func read(_ path: String) throws -> Checkpoint {
        var folder = URL(fileURLWithPath: path).standardizedFileURL
        if folder.lastPathComponent == CheckpointManifest.fileName { folder.deleteLastPathComponent() }
        let file = folder.appendingPathComponent(CheckpointManifest.fileName).path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw DataError(file: path, "no checkpoint here: \(file) is missing; expected a folder written by `bench train --checkpoint` or by a config with \"checkpoints\": true")
        }
        let manifest: CheckpointManifest
        do {
            manifest = try JSONDecoder().decode(CheckpointManifest.self, from: data)
        } catch {
            throw DataError(file: file, "is not a checkpoint manifest (\(error))")
        }
        guard manifest.format == CheckpointManifest.currentFormat else {
            throw DataError(file: file, location: "format", "\(manifest.format); this suite reads format \(CheckpointManifest.currentFormat)")
        }
        return Checkpoint(folder: folder, manifest: manifest)
    }

    /// The saved tensors, in the manifest's order, each checked against its entry.
    public func tensors() throws -> [Tensor] {
        try manifest.tensors.map { entry in
            let path = folder.appendingPathComponent(entry.file).path
            let tensor = try NumpyArray.parseFloat32(try InputFile.contents(of: path), file: path)
            guard [tensor.rows, tensor.cols] == entry.shape else {
                throw DataError(file: path, "shape \(tensor.shapeDescription); the manifest says \(entry.shape)")
            }
            return tensor
        }
    }

    /// Sets `model`'s parameters and buffers to the saved tensors, after
    /// checking that names and shapes match one for one.
    public func load(into model: Recommender) throws {
        let targets = model.parameters + model.buffers
        let values = try tensors()
        let file = folder.appendingPathComponent(CheckpointManifest.fileName).path
        guard targets.count == values.count else {
            throw DataError(file: file, location: "tensors",
                            "\(values.count) tensors; the rebuilt \(manifest.spec.model) has \(targets.count) parameters and buffers")
        }
        for (n, (target, entry)) in zip(targets, manifest.tensors).enumerated() {
            let value = values[n]
            // A buffer may be empty when built and filled by training (MMRec's last-batch cache).
            let shapeMatches = value.rows == target.value.rows && value.cols == target.value.cols
            guard target.name == entry.name, shapeMatches || entry.role == .buffer else {
                throw DataError(file: file, location: "tensors[\(n)]",
                                "\(entry.name) \(entry.shape); the rebuilt model has \(target.name) \(target.value.shapeDescription)")
            }
        }
        for (target, value) in zip(targets, values) { target.value = value }
    }
}
