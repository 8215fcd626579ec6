import Foundation

/// One point of a line series, in data units.
public struct ChartPoint: Sendable, Equatable {
    /// The horizontal coordinate, such as an epoch.
    public var x: Double
    /// The vertical coordinate, such as a metric value.
    public var y: Double

    /// A point at (`x`, `y`); non-finite coordinates are skipped when drawn.
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// One line of a line chart.
public struct ChartSeries: Sendable, Equatable {
    /// The legend label; series with the same label share a colour in every panel.
    public var label: String
    /// The points, joined in the given order.
    public var points: [ChartPoint]
    /// A reference level (most popular, say): drawn dashed, without markers.
    public var isReference: Bool
    /// The point the run was chosen at (the best validation epoch): drawn
    /// with an enlarged, outlined marker.
    public var chosen: ChartPoint?

    /// A series named `label` through `points`; `isReference` draws it as a
    /// dashed level; `chosen` marks the chosen epoch.
    public init(label: String, points: [ChartPoint], isReference: Bool = false, chosen: ChartPoint? = nil) {
        self.label = label
        self.points = points
        self.isReference = isReference
        self.chosen = chosen
    }
}

/// One bar: a mean with an optional ± error (std); nil mean = no result
/// (a small "n/a" label is drawn instead of a bar).
public struct ChartBar: Sendable, Equatable {
    /// The label under the bar; bars with the same label share a colour in every panel.
    public var label: String
    /// The mean, or nil (or NaN) when there is no result.
    public var value: Double?
    /// The half-width of the error bar (such as a standard deviation), or nil for none.
    public var error: Double?

    /// A bar of height `value` with whiskers at `value ± error`.
    public init(label: String, value: Double?, error: Double?) {
        self.label = label
        self.value = value
        self.error = error
    }
}

/// A scatter point in a 2-D projection: `group` picks the colour (e.g. the user),
/// `isAnchor` draws a star (a user) instead of a circle (an item), `linkTo`
/// optionally draws a thin line in the group colour to the point at that index
/// in the same panel (item → its user).
public struct ScatterPoint: Sendable, Equatable {
    /// The first projected coordinate.
    public var x: Double
    /// The second projected coordinate.
    public var y: Double
    /// The colour group, such as the user the point belongs to.
    public var group: Int
    /// Whether the point is drawn as a star (a user) rather than a circle (an item).
    public var isAnchor: Bool
    /// The index, in the same panel, of the point this one is linked to, if any.
    public var linkTo: Int?

    /// A point at (`x`, `y`) in colour `group`, optionally an anchor, optionally linked.
    public init(x: Double, y: Double, group: Int, isAnchor: Bool = false, linkTo: Int? = nil) {
        self.x = x
        self.y = y
        self.group = group
        self.isAnchor = isAnchor
        self.linkTo = linkTo
    }
}

/// One panel (small multiple) of a line chart.
public struct LinePanel: Sendable, Equatable {
    /// The panel heading.
    public var title: String
    /// The lines drawn in the panel.
    public var series: [ChartSeries]

    /// A panel headed `title` showing `series`.
    public init(title: String, series: [ChartSeries]) {
        self.title = title
        self.series = series
    }
}

/// One panel (small multiple) of a bar chart.
public struct BarPanel: Sendable, Equatable {
    /// The panel heading.
    public var title: String
    /// The bars, left to right.
    public var bars: [ChartBar]

    /// A panel headed `title` showing `bars`.
    public init(title: String, bars: [ChartBar]) {
        self.title = title
        self.bars = bars
    }
}

/// One panel (small multiple) of a scatter chart of 2-D projections.
public struct ScatterPanel: Sendable, Equatable {
    /// The panel heading.
    public var title: String
    /// A second line under the heading, such as "PC1 41% · PC2 22% of variance".
    public var subtitle: String
    /// The projected points; `linkTo` indices refer to this array.
    public var points: [ScatterPoint]

    /// A panel headed `title` and `subtitle` showing `points`.
    public init(title: String, subtitle: String, points: [ScatterPoint]) {
        self.title = title
        self.subtitle = subtitle
        self.points = points
    }
}
