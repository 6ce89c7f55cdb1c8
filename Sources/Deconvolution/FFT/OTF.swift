import DeblurCore

extension PSF {
    /// The optical transfer function for an image of `height × width`: the PSF placed in a
    /// zero array of that size with its centre circularly shifted to (0, 0), then transformed
    /// (MATLAB's `psf2otf(psf, [height width])`), in the half-spectrum layout of `FFTPlan2D`.
    ///
    /// The PSF must fit: `self.height ≤ height` and `self.width ≤ width`.
    public func otf(height: Int, width: Int, plan: FFTPlan2D? = nil) -> FFTBuffer {
        precondition(self.height <= height && self.width <= width,
                     "PSF \(self.height)×\(self.width) does not fit in \(height)×\(width)")
        let plan = plan ?? FFT.plan(height: height, width: width)
        precondition(plan.height == height && plan.width == width, "plan size differs from the OTF size")
        let placed = plan.makeRealBuffer()
        let cy = centerY, cx = centerX
        image.withUnsafeBufferPointer { k in
            for y in 0..<self.height {
                let ty = (y - cy + height) % height
                for x in 0..<self.width {
                    let tx = (x - cx + width) % width
                    placed.pointer[ty * width + tx] += k[y * self.width + x]
                }
            }
        }
        let spectrum = plan.makeSpectrumBuffer()
        plan.forward(placed, spectrum)
        return spectrum
    }
}
