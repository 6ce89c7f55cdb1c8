import DeblurCore

/// Largest absolute difference between two equally sized sample arrays.
public func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "sizes differ: \(a.count) vs \(b.count)")
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i])) }
    return m
}

/// Largest absolute difference between two images of equal geometry.
public func maxAbsDifference(_ a: Image, _ b: Image) -> Float {
    precondition(a.channels == b.channels && a.height == b.height && a.width == b.width,
                 "geometry differs: \(a.channels)×\(a.height)×\(a.width) vs \(b.channels)×\(b.height)×\(b.width)")
    return maxAbsDifference(a.pixels, b.pixels)
}

/// Root-mean-square difference between two images of equal geometry.
public func rmsDifference(_ a: Image, _ b: Image) -> Double {
    precondition(a.count == b.count, "sizes differ")
    var s = 0.0
    for i in a.pixels.indices { let d = Double(a.pixels[i] - b.pixels[i]); s += d * d }
    return (s / Double(max(1, a.count))).squareRoot()
}

/// A reproducible random image with values uniform in [0, 1).
public func randomImage(channels: Int = 1, height: Int, width: Int, seed: UInt64) -> Image {
    var rng = SeededRandom(seed: seed)
    return Image(channels: channels, height: height, width: width) { _, _, _ in rng.uniformFloat() }
}
