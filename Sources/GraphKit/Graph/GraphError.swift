/// Why a graph could not be built.
public enum GraphError: Error, Equatable, CustomStringConvertible {
    /// The edge list has no edges.
    case emptyEdgeList(graph: String)
    /// The two id arrays have different lengths.
    case lengthMismatch(graph: String, targets: Int, sources: Int)
    /// An id lies outside 0..<bound.
    case idOutOfRange(graph: String, role: String, position: Int, id: Int, bound: Int)
    /// A count that must be positive is not.
    case invalidSize(graph: String, what: String, value: Int)
    /// A feature the graph is built from is NaN or infinite.
    case nonFinite(graph: String, row: Int, column: Int, value: Float)

    public var description: String {
        switch self {
        case let .emptyEdgeList(graph):
            return "\(graph): cannot build a graph from an empty edge list"
        case let .lengthMismatch(graph, targets, sources):
            return "\(graph): \(targets) target ids but \(sources) source ids; expected equal lengths"
        case let .idOutOfRange(graph, role, position, id, bound):
            return "\(graph): \(role) id \(id) at edge \(position) is out of range; expected 0..<\(bound)"
        case let .invalidSize(graph, what, value):
            return "\(graph): \(what) is \(value); expected a positive number"
        case let .nonFinite(graph, row, column, value):
            return "\(graph): feature \(value) at row \(row), column \(column); expected a finite number"
        }
    }
}
