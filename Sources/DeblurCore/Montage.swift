extension Image {
    /// Places images side by side in one row, top-aligned, separated by `gap` columns of
    /// `background`, for contact sheets and side-by-side comparisons. Gray images are
    /// repeated to three channels when any input is color. An empty list or a negative `gap` is
    /// a precondition failure.
    public static func montage(_ images: [Image], gap: Int = 4, background: Float = 1) -> Image {
        precondition(!images.isEmpty, "montage needs at least one image")
        precondition(gap >= 0, "montage gap must be ≥ 0, got \(gap)")
        let channels = images.map(\.channels).max()!
        let height = images.map(\.height).max()!
        let width = images.reduce(0) { $0 + $1.width } + gap * (images.count - 1)
        var out = Image(channels: channels, height: height, width: width, value: background)
        var left = 0
        for image in images {
            for c in 0..<channels {
                let source = image.channels == 1 ? 0 : c
                for y in 0..<image.height {
                    for x in 0..<image.width { out[c, y, left + x] = image[source, y, x] }
                }
            }
            left += image.width + gap
        }
        return out
    }
}
