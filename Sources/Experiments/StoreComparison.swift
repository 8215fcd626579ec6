import Foundation
import RecommenderCore

/// A store set against a reference store, run by run (`bench compare`, the
/// last line of `make`): which runs of one key hold the same bits, and where
/// they differ, the largest test-metric difference and the machines each side
/// was computed on, since another CPU or BLAS kernel rounds differently.
public struct StoreComparison: Sendable {
    /// Keys in both stores.
    public let shared: Int
    /// Of those, runs with the same result epoch by epoch (`ResultStore.sameRun`).
    public let identical: Int
    /// Keys only in the store, or only in the reference.
    public let onlyHere: Int, onlyInReference: Int
    /// The largest absolute difference in a test metric over the shared runs that differ.
    public let largest: (label: String, seed: UInt64, metric: MetricKey, here: Double, reference: Double)?
    /// Where each side's runs were computed ("CPU, BLAS kernel"), distinct values in key order.
    public let computedHere: [String], computedInReference: [String]

    /// Compares the runs of `store` with those of `reference`.
    public init(_ store: ResultStore, reference: ResultStore) throws {
        let here = Dictionary(uniqueKeysWithValues: try store.runFiles().map { ($0.key, $0.path) })
        let there = Dictionary(uniqueKeysWithValues: try reference.runFiles().map { ($0.key, $0.path) })
        let keys = here.keys.filter { there[$0] != nil }.sorted()
        var identical = 0
        var largest: (label: String, seed: UInt64, metric: MetricKey, here: Double, reference: Double)?
        var computedHere: [String] = [], computedInReference: [String] = []
        for key in keys {
            let a = try ResultStore.record(at: here[key]!), b = try ResultStore.record(at: there[key]!)
            let (placeHere, placeThere) = (a.computedOn ?? "not recorded", b.computedOn ?? "not recorded")
            if !computedHere.contains(placeHere) { computedHere.append(placeHere) }
            if !computedInReference.contains(placeThere) { computedInReference.append(placeThere) }
            if ResultStore.sameRun(a, b) { identical += 1; continue }
            for (metric, value) in (a.result.test?.values ?? [:]).sorted(by: { $0.key.description < $1.key.description }) {
                guard let other = b.result.test?.values[metric] else { continue }
                let gap = abs(value - other)
                if gap > (largest.map { abs($0.here - $0.reference) } ?? -1) {
                    largest = (a.label, a.spec.seed, metric, value, other)
                }
            }
        }
        shared = keys.count
        self.identical = identical
        onlyHere = here.count - keys.count
        onlyInReference = there.count - keys.count
        self.largest = largest
        self.computedHere = computedHere
        self.computedInReference = computedInReference
    }

    /// One line for the user.
    public var summary: String {
        guard shared > 0 else {
            return "no run in common with the reference (\(onlyHere) here, \(onlyInReference) there): different settings or data"
        }
        var line: String
        if identical == shared {
            line = "same bits as the reference in all \(shared) runs"
        } else {
            line = "\(shared - identical) of \(shared) runs differ from the reference"
            if let largest, largest.here == largest.reference {
                line += "; their test metrics are the same, their epochs' losses or validation values are not"
            } else if let largest {
                // Six digits: a difference in the last bits shows, where four would print two equal numbers.
                let f = { (x: Double) in String(format: "%.6f", x) }
                let gap = abs(largest.here - largest.reference)
                line += "; largest test difference \(String(format: gap < 1e-4 ? "%.1e" : "%.4f", gap)) in \(largest.metric) "
                    + "(\(largest.label) seed \(largest.seed): \(f(largest.here)) here, \(f(largest.reference)) in the reference)"
            }
            if Set(computedHere) == Set(computedInReference), !computedHere.contains("not recorded") {
                line += "; both computed on \(computedHere.joined(separator: " and ")): not expected on the same CPU and kernel"
            } else {
                line += "; computed here on \(computedHere.joined(separator: " and ")), the reference on "
                    + "\(computedInReference.joined(separator: " and ")): another CPU or BLAS kernel rounds differently"
            }
        }
        if onlyHere > 0 { line += "; \(onlyHere) runs not in the reference" }
        return line
    }
}
