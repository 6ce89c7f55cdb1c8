import DeblurCore

extension PSF {
    /// Recovers a `height × width` PSF from an optical transfer function of a
    /// `fullHeight × fullWidth` image (the inverse of `otf(height:width:)`): inverse
    /// transform, circular shift of (0, 0) back to the centre `(height/2, width/2)`, crop.
    /// MATLAB's `otf2psf(otf, [height width])`. Values below 0 from rounding are set to 0
    /// and the result is renormalized.
    ///
    /// - Parameters:
    ///   - otf: half-spectrum of `fullHeight × fullWidth` in the layout of `FFTPlan2D`.
    ///   - height, width: odd size of the PSF to cut out, at most the full size.
    /// - Throws: `CoreError.invalidPSF` for an even size (as `PSF.init`) or when the cut-out part
    ///   has no positive mass; `CoreError.invalidValue` for a size larger than the full one.
    ///   Both trapped: an even size is what MATLAB's `otf2psf` takes.
    public static func fromOTF(_ otf: FFTBuffer, fullHeight: Int, fullWidth: Int, height: Int, width: Int) throws -> PSF {
        try checkSize(height: height, width: width, source: "otf2psf")
        guard height <= fullHeight, width <= fullWidth else {
            throw CoreError.invalidValue(name: "otf2psf size", value: "\(height)×\(width)", expected: "at most the OTF's \(fullHeight)×\(fullWidth)")
        }
        let plan = FFT.plan(height: fullHeight, width: fullWidth)
        precondition(otf.count >= plan.spectrumCount, "OTF buffer holds \(otf.count) floats, expected \(plan.spectrumCount)")
        let spectrum = plan.makeSpectrumBuffer()
        spectrum.pointer.update(from: otf.pointer, count: plan.spectrumCount)  // c2r destroys its input
        let real = plan.makeRealBuffer()
        plan.inverse(spectrum, real)
        let scale = 1 / Float(fullHeight * fullWidth)
        let cy = height / 2, cx = width / 2
        let kernel = Image(height: height, width: width) { _, y, x in
            let sy = (y - cy + fullHeight) % fullHeight, sx = (x - cx + fullWidth) % fullWidth
            return max(0, real.pointer[sy * fullWidth + sx] * scale)
        }
        return try PSF(kernel, source: "otf2psf")
    }
}
