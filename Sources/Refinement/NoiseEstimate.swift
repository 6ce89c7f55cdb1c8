import DeblurCore

/// Estimates the standard deviation of additive white Gaussian noise in a one-channel image
/// from the finest diagonal Haar detail: `σ̂ = median(|HH|) / 0.6745`, with
/// `HH = (a − b − c + d) / 2` over 2×2 blocks (Donoho & Johnstone 1994). Blurred images have
/// almost no signal in HH, so the estimate is close to σ for σ ≳ 0.002.
///
/// scikit-image: `restoration.estimate_sigma(image)` (db1 wavelet: the same detail band).
public func estimateNoiseSigma(_ image: Image) -> Double {
    precondition(image.channels == 1, "estimateNoiseSigma needs one channel, got \(image.channels)")
    let h = image.height / 2, w = image.width / 2
    guard h > 0 && w > 0 else { return 0 }
    var details = [Float]()
    details.reserveCapacity(h * w)
    image.withUnsafeBufferPointer { p in
        for y in 0..<h {
            for x in 0..<w {
                let i = 2 * y * image.width + 2 * x
                details.append(abs(p[i] - p[i + 1] - p[i + image.width] + p[i + image.width + 1]) / 2)
            }
        }
    }
    let k = details.count / 2
    details.sort()
    return Double(details[k]) / 0.6745
}
