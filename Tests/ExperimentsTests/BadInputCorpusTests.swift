import Foundation
import Testing
import TestSupport
@testable import Experiments
import RecommenderCore

/// One case of the corpus of bad inputs (Tests/BadInputs/cases.json, made by
/// Tests/BadInputs/make-corpus.py): a real slice of TikTok with one defect.
struct BadInputCase: Decodable, CustomTestStringConvertible, Sendable {
    /// The folder under Tests/BadInputs/cases.
    let name: String
    /// What the defect is in: inter, npy, descriptor or config.
    let kind: String
    let defect: String
    /// "error": exit 64, a message with every fragment, nothing written.
    /// "warning": exit 0, every fragment in one warning on stderr.
    /// "same": exit 0, no warning, the control's dataset and test metrics.
    let outcome: String
    let expect: [String]

    var testDescription: String { "\(name) (\(defect))" }

    static let source = packageRoot.appendingPathComponent("Tests/BadInputs")

    static func all() -> [BadInputCase] {
        let url = source.appendingPathComponent("cases.json")
        guard let data = try? Data(contentsOf: url), let cases = try? JSONDecoder().decode([BadInputCase].self, from: data) else {
            return []
        }
        return cases
    }
}

/// What `bench validate` and `bench run` did with one config.
struct CorpusOutcome: Sendable {
    let validate: BenchOutcome
    let run: BenchOutcome
    /// The lines of `bench validate` that describe the dataset.
    let datasetLines: [String]
    /// The test and validation metrics of the run, when it stored one.
    let test: [MetricKey: Double]?
    let valid: [MetricKey: Double]?
}

/// Runs the table of bad inputs through the real `bench` executable: for every
/// case, `bench validate` and then `bench run` on a copy of the control and
/// the case's folder, checking the exit status, the message, and that an
/// error left every file and folder as it was.
@Suite struct BadInputCorpusTests {
    /// A fresh folder holding the control and, when given, one case, at the
    /// same relative paths as in Tests/BadInputs.
    static func workspace(case name: String?) throws -> URL {
        let root = try temporaryFolder()
        let manager = FileManager.default
        try manager.copyItem(at: BadInputCase.source.appendingPathComponent("control"),
                             to: root.appendingPathComponent("control"))
        if let name {
            try manager.createDirectory(at: root.appendingPathComponent("cases"), withIntermediateDirectories: true)
            try manager.copyItem(at: BadInputCase.source.appendingPathComponent("cases/\(name)"),
                                 to: root.appendingPathComponent("cases/\(name)"))
        }
        return root
    }

    /// Every file's bytes and every folder under `root`, by relative path.
    static func snapshot(_ root: URL) throws -> [String: Data?] {
        var entries: [String: Data?] = [:]
        let manager = FileManager.default
        guard let walker = manager.enumerator(atPath: root.path) else { return entries }
        while let relative = walker.nextObject() as? String {
            var isFolder: ObjCBool = false
            let path = root.appendingPathComponent(relative).path
            _ = manager.fileExists(atPath: path, isDirectory: &isFolder)
            entries[relative] = isFolder.boolValue ? .some(nil) : try Data(contentsOf: URL(fileURLWithPath: path))
        }
        return entries
    }

    /// `bench validate` then `bench run` on `config` (relative to `root`).
    static func outcome(of config: String, in root: URL) throws -> CorpusOutcome {
        let validate = try runBench(["validate", config], in: root)
        let run = try runBench(["run", "--brief", config], in: root)
        let lines = validate.stdout.split(separator: "\n").map(String.init)
        var datasetLines: [String] = []
        if let first = lines.firstIndex(where: { $0.hasPrefix("tiktok-slice:") }) {
            datasetLines = Array(lines[first...].prefix { !$0.contains("(VBPR)") })
        }
        let folder = (config as NSString).deletingLastPathComponent
        let store = root.appendingPathComponent(folder).appendingPathComponent("Results/corpus/runs")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: store.path))?.filter { $0.hasSuffix(".json") } ?? []
        var record: RunRecord?
        if files.count == 1 {
            record = try RunRecord.decode(Data(contentsOf: store.appendingPathComponent(files[0])))
        }
        return CorpusOutcome(validate: validate, run: run, datasetLines: datasetLines,
                             test: record?.result.test?.values, valid: record?.result.valid?.values)
    }

    /// Why the control could not be run.
    struct ControlError: Error, CustomStringConvertible {
        let description: String
    }

    /// The control, run once for every case that must match it.
    static let control: Result<CorpusOutcome, ControlError> = {
        do {
            let root = try workspace(case: nil)
            defer { try? FileManager.default.removeItem(at: root) }
            return .success(try outcome(of: "control/config.json", in: root))
        } catch {
            return .failure(ControlError(description: "\(error)"))
        }
    }()

    @Test func theCorpusCoversEveryKindOfInputWithSixtyCasesOrMore() {
        let cases = BadInputCase.all()
        #expect(cases.count >= 60)
        let kinds = Dictionary(grouping: cases, by: \.kind).mapValues(\.count)
        for kind in ["inter", "npy", "descriptor", "config"] {
            #expect((kinds[kind] ?? 0) >= 10, "\(kind): \(kinds[kind] ?? 0) cases")
        }
        for outcome in ["error", "warning", "same"] {
            #expect(cases.contains { $0.outcome == outcome }, "no case expects \(outcome)")
        }
        // Every case has its folder and config, and every folder is a case.
        let folders = (try? FileManager.default.contentsOfDirectory(
            atPath: BadInputCase.source.appendingPathComponent("cases").path)) ?? []
        #expect(Set(folders) == Set(cases.map(\.name)))
    }

    @Test func theControlIsValidRunsAndWarnsOfNothing() throws {
        let control = try Self.control.get()
        #expect(control.validate.status == 0, "\(control.validate.stderr)")
        #expect(control.validate.stdout.contains("corpus: valid"), "\(control.validate.stdout)")
        #expect(control.run.status == 0, "\(control.run.stderr)")
        #expect(!control.validate.stderr.contains("warning") && !control.run.stderr.contains("warning"),
                "\(control.validate.stderr)\(control.run.stderr)")
        #expect(control.datasetLines.first == "tiktok-slice: 175 users, 100 items; train 1890, valid 7, test 14",
                "\(control.datasetLines)")
        #expect(control.test != nil)
    }

    @Test(arguments: BadInputCase.all())
    func everyCaseEndsAsTheTableSays(_ c: BadInputCase) throws {
        let root = try Self.workspace(case: c.name)
        defer { try? FileManager.default.removeItem(at: root) }
        let before = try Self.snapshot(root)
        let config = "cases/\(c.name)/config.json"
        let validate = try runBench(["validate", config], in: root)
        #expect(try Self.snapshot(root) == before, "bench validate wrote something")
        switch c.outcome {
        case "error":
            let run = try runBench(["run", "--brief", config], in: root)
            for (command, outcome) in [("validate", validate), ("run", run)] {
                #expect(outcome.status == 64, "\(command): status \(outcome.status)\n\(outcome.stderr)")
                for fragment in c.expect {
                    #expect(outcome.stderr.contains(fragment), "\(command): no '\(fragment)' in\n\(outcome.stderr)")
                }
                #expect(!outcome.stdout.contains(": valid"), "\(command) said valid:\n\(outcome.stdout)")
            }
            #expect(try Self.snapshot(root) == before, "bench run wrote something")
        case "warning":
            let outcome = try Self.outcome(of: config, in: root)
            for (command, result) in [("validate", outcome.validate), ("run", outcome.run)] {
                #expect(result.status == 0, "\(command): status \(result.status)\n\(result.stderr)")
                let warned = result.stderr.split(separator: "\n").contains { line in
                    line.hasPrefix("bench: warning: ") && c.expect.allSatisfy { line.contains($0) }
                }
                #expect(warned, "\(command): no warning with \(c.expect) in\n\(result.stderr)")
            }
            #expect(outcome.test != nil, "the run stored no record")
        default:  // "same"
            let control = try Self.control.get()
            let outcome = try Self.outcome(of: config, in: root)
            for (command, result) in [("validate", outcome.validate), ("run", outcome.run)] {
                #expect(result.status == 0, "\(command): status \(result.status)\n\(result.stderr)")
                #expect(!result.stderr.contains("warning"), "\(command): \(result.stderr)")
            }
            #expect(!outcome.datasetLines.isEmpty && outcome.datasetLines == control.datasetLines,
                    "\(outcome.datasetLines) against the control's \(control.datasetLines)")
            #expect(outcome.test != nil && outcome.test == control.test && outcome.valid == control.valid,
                    "test \(String(describing: outcome.test)) against the control's \(String(describing: control.test))")
        }
    }
}
