import Foundation
import ModelRegistry
import RecommenderCore
import Testing
import TestSupport
@testable import Experiments

/// `bench compare`: the same config trained twice on one machine holds the
/// same bits; a changed metric and another kernel are found and named.
@Suite struct StoreComparisonTests {
    @Test func twoTrainingsOfOneConfigAreTheSameBitsAndAChangeIsNamed() throws {
        let registry = ModelRegistry(models: ModelRegistry.standard.models + [ItemBiasModel.self])
        let config = try parse(toyConfig(models: #"[{"model": "ItemBias"}, {"model": "LightGCN"}]"#), registry: registry)
        let (a, b) = (try temporaryFolder(), try temporaryFolder())
        defer { for f in [a, b] { try? FileManager.default.removeItem(at: f) } }
        for folder in [a, b] {
            _ = try ExperimentRunner(config: config, registry: registry, resultsRoot: folder.path, progress: .quiet).run()
        }
        let here = ResultStore(a.appendingPathComponent("toy").path), there = ResultStore(b.appendingPathComponent("toy").path)
        let same = try StoreComparison(here, reference: there)
        #expect(same.shared == 4 && same.identical == 4 && same.onlyHere == 0 && same.onlyInReference == 0)
        #expect(same.summary == "same bits as the reference in all 4 runs")

        // The reference's LightGCN seed-2 run: recall@10 lowered by 0.0125, and computed with another kernel.
        let files = try there.runFiles()
        var changed: RunRecord?
        for file in files {
            var record = try ResultStore.record(at: file.path)
            (record.cpu, record.blasKernel) = ("Test CPU", "OpenBLAS 0.3.21 Haswell")
            if record.spec.model == "LightGCN" && record.spec.seed == 2 {
                record.result.test?.values[MetricKey(.recall, at: 10)]! -= 0.0125
                changed = record
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(record).write(to: URL(fileURLWithPath: file.path))
        }
        let original = try #require(try here.runFiles().first { $0.key == changed?.key }.map { try ResultStore.record(at: $0.path) })
        let value = try #require(original.result.test?.values[MetricKey(.recall, at: 10)])
        let differ = try StoreComparison(here, reference: there)
        #expect(differ.identical == 3)
        let f = { (x: Double) in String(format: "%.6f", x) }
        #expect(differ.summary == "1 of 4 runs differ from the reference; largest test difference 0.0125 in recall@10 "
                + "(LightGCN seed 2: \(f(value)) here, \(f(value - 0.0125)) in the reference); computed here on "
                + "\(original.computedOn ?? ""), the reference on Test CPU, OpenBLAS 0.3.21 Haswell: "
                + "another CPU or BLAS kernel rounds differently")

        // Only an epoch's loss differs, as when another kernel rounds a step
        // differently and the test metrics come out the same: said so.
        var record = try ResultStore.record(at: try #require(files.first { $0.key == changed?.key }).path)
        record.result.test = original.result.test
        record.result.epochs[0].loss += 1e-9
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(record).write(to: URL(fileURLWithPath: try #require(files.first { $0.key == record.key }).path))
        let lossOnly = try StoreComparison(here, reference: there)
        #expect(lossOnly.summary.hasPrefix("1 of 4 runs differ from the reference; their test metrics are the same, "
                                           + "their epochs' losses or validation values are not; computed here on "),
                "\(lossOnly.summary)")
    }
}

/// A table's provenance line comes from its runs, so rendering the same runs
/// again (`make tables-render`) writes the same bytes.
@Suite struct TableProvenanceTests {
    @Test func theProvenanceLineIsTheRunsFinishingDaysAndCodeVersion() throws {
        let registry = ModelRegistry(models: ModelRegistry.standard.models + [ItemBiasModel.self])
        let config = try parse(toyConfig(models: #"[{"model": "ItemBias"}]"#), registry: registry)
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var records = try ExperimentRunner(config: config, registry: registry, resultsRoot: folder.path, progress: .quiet)
            .run().records
        #expect(records.count == 2)
        records[0].finished = "2026-12-03T09:00:00Z"
        records[1].finished = "2026-11-28T23:59:00Z"
        let render = { ResultTables(config: config, records: records, datasets: [("mmgcn-toy", "toy")]).markdown() }
        let first = render()
        #expect(first.contains("- Runs finished from 2026-11-28 to 2026-12-03, code version \(codeVersion) (`bench run`)\n"))
        #expect(render() == first)
    }
}
