import DeblurCore

/// Header checks shared by the PNG and TIFF readers, run before any pixel buffer is allocated.
enum Limits {
    /// Throws unless `width × height` is a non-empty image within `ImageIO.maximumPixels`.
    static func check(width: Int, height: Int, path: String) throws {
        guard width > 0, height > 0 else {
            throw IOError.corrupt(path: path, reason: "the header gives a size of \(width)×\(height) pixels, expected at least 1×1")
        }
        // Width and height come from 32-bit header fields, so the product cannot overflow Int.
        if width * height > ImageIO.maximumPixels {
            throw IOError.tooLarge(path: path, width: width, height: height, limit: ImageIO.maximumPixels)
        }
    }
}
