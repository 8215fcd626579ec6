import DisenGCN
import DualGNN
import GRCN
import GraphKit
import MMGCN
import RecommenderCore
import Testing
import TestSupport

/// Results are the same bits on any number of worker threads, so that runs
/// made by Slurm tasks with one CPU each merge with runs made on a 2-core
/// machine, and a shard's results equal one process's.
///
/// Serialized: the worker count is process-wide, so these tests must not
/// change it under each other. (Other suites running meanwhile only change
/// speed, which is the point.)
@Suite(.serialized) struct WorkerCountTests {
    /// `body`'s result with 1, 2 and 3 workers, then the machine's count restored.
    func onWorkers<T>(_ counts: [Int] = [1, 2, 3], _ body: () throws -> T) rethrows -> [T] {
        let saved = Parallelism.workers
        defer { Parallelism.setWorkers(saved) }
        return try counts.map { count in
            Parallelism.setWorkers(count)
            #expect(Parallelism.workers == count)
            return try body()
        }
    }

    /// A sgemm's bits depend on each call's shape, so `BLAS.gemm` cuts a
    /// product into the same calls on any number of workers. Products big
    /// enough to be split, by rows (m ≥ n) and by columns, with transposes.
    @Test func productsAreTheSameBitsOnOneTwoAndThreeWorkers() {
        var rng = RandomGenerator(seed: 7)
        for (m, k, n) in [(5003, 64, 64), (1001, 256, 64), (64, 64, 4001), (300, 64, 2000)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = Initializer.uniform(rows: ta ? k : m, cols: ta ? m : k, low: -1, high: 1, rng: &rng)
                let b = Initializer.uniform(rows: tb ? n : k, cols: tb ? k : n, low: -1, high: 1, rng: &rng)
                let products = onWorkers { BLAS.matmul(a, transposeA: ta, b, transposeB: tb).scalars }
                #expect(products[0] == products[1] && products[1] == products[2], "\(m)x\(k)x\(n) ta \(ta) tb \(tb)")
            }
        }
    }

    /// Full ranking of TikTok's validation users (blocks of users, one sgemm
    /// each) by fixed random embeddings.
    @Test func evaluationIsTheSameOnOneTwoAndThreeWorkers() throws {
        let data = try loadDataset("tiktok")
        var rng = RandomGenerator(seed: 11)
        let scorer = DotProductScorer(users: Initializer.uniform(rows: data.userCount, cols: 64, low: -1, high: 1, rng: &rng),
                                      items: Initializer.uniform(rows: data.itemCount, cols: 64, low: -1, high: 1, rng: &rng))
        let evaluator = Evaluator(dataset: data, protocol: EvaluationProtocol())
        let results = try onWorkers { try evaluator.evaluate(scorer, on: .valid).values }
        #expect(results[0] == results[1] && results[1] == results[2])
        #expect(results[0][MetricKey(.recall, at: 20)]! > 0)
    }

    /// Two epochs of the models whose runs differed between 1 and 2 workers
    /// before the cut was fixed (MMGCN, DualGNN), and two more, on mmgcn-toy:
    /// every loss and metric is the same.
    @Test func trainingIsTheSameOnOneTwoAndThreeWorkers() throws {
        let data = try loadDataset("mmgcn-toy")
        let builders: [(String, () throws -> Recommender)] = [
            ("MMGCN", { try makeModel(MMGCNModel.self, data) }),
            ("DualGNN", { try makeModel(DualGNNModel.self, data) }),
            ("GRCN", { try makeModel(GRCNModel.self, data) }),
            ("DisenGCN", { try makeModel(DisenGCNModel.self, data) }),
        ]
        for (name, build) in builders {
            let runs = try onWorkers { () throws -> TrainingResult in
                quickTrain(try build(), on: data, options: quickOptions(epochs: 2))
            }
            for run in runs { #expect(run.status == .finished, "\(name)") }
            let losses = runs.map { $0.epochs.map(\.loss) }
            let valid = runs.map { $0.epochs.map { $0.valid ?? [:] } }
            let test = runs.map { $0.test?.values ?? [:] }
            #expect(losses[0] == losses[1] && losses[1] == losses[2], "\(name): \(losses)")
            #expect(valid[0] == valid[1] && valid[1] == valid[2], "\(name)")
            #expect(test[0] == test[1] && test[1] == test[2] && !test[0].isEmpty, "\(name)")
        }
    }
}
