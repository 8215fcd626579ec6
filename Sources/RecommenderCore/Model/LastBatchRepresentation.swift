import GraphKit

/// MMRec's evaluation of MMGCN, GRCN and DualGNN, kept only so that their
/// numbers can be matched (`compat: "mmrec"`, behaviour `last_batch_eval`):
/// their `full_sort_predict` scores with the representation cached by the
/// last training batch's forward pass (`self.result`, `result_embed`), that
/// is, in training mode and from the parameters before that batch's optimiser
/// step, instead of recomputing it from the current parameters (docs/MODELS.md,
/// Part 1, "Scores for evaluation are computed fresh"). The paper mode never
/// uses it.
///
/// The cached vectors are buffers: the trainer snapshots them with the
/// parameters at the best validation epoch, so the test scores the cache of
/// that epoch, as MMRec's `best_test_upon_valid` does.
public final class LastBatchRepresentation {
    /// The users' final vectors from the last training batch (U × d).
    public let users: Parameter
    /// The items' final vectors from the last training batch (I × d).
    public let items: Parameter
    /// An empty cache.
    public init() {
        users = Parameter(Tensor(rows: 0, cols: 0), name: "last_batch.users")
        items = Parameter(Tensor(rows: 0, cols: 0), name: "last_batch.items")
    }

    /// The buffers the trainer snapshots with the parameters.
    public var buffers: [Parameter] { [users, items] }

    /// Keeps the values of a training batch's whole-graph representations.
    public func record(users: Variable, items: Variable) {
        self.users.value = users.value
        self.items.value = items.value
    }

    /// Scores from the cached vectors: y_ui = u_u · i_i.
    public func scorer() throws -> Scorer {
        // Empty until the first batch, and after restoring a snapshot taken before it.
        guard users.value.rows > 0, items.value.rows > 0 else {
            throw LastBatchError()
        }
        return DotProductScorer(users: users.value, items: items.value)
    }
}

/// Evaluation from the last training batch was asked for before any batch ran.
public struct LastBatchError: Error, CustomStringConvertible {
    public var description: String {
        "last_batch_eval scores from the representation of the last training batch, and no batch has run yet"
    }
}
