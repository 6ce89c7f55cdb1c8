import ArgumentParser
import DeblurKit
import Foundation

/// Reads an image file as `ImageIO.read` does, and says on stderr when a multi-page TIFF's other
/// pages (or an animated PNG's frames) are left out: ImageJ hyperstacks, OME-TIFF and tifffile's (channel, y, x) stacks keep
/// channels and slices in pages, so the first page alone is often not the whole image.
func readImage(_ path: String) throws -> Image {
    let (image, info) = try ImageIO.readWithInfo(path)
    notePages(info, of: path)
    return image
}

/// The stderr notes of `readImage` for a file already read: other pages, and a TIFF's extra
/// samples, which are dropped. A TIFF's "alpha" is often data: tifffile writes a (4, y, x)
/// stack, four slices, as one planar RGBA page (and a (3, y, x) one as RGB).
func notePages(_ info: ImageFileInfo, of path: String) {
    let layout = info.channels == 3 ? "RGB" : "gray"
    if info.pages > 1 && info.format == .png {
        writeStandardError("note: \(path) is an animated PNG of \(info.pages) images; only its default image (\(info.height)×\(info.width), \(layout)), "
                           + "the one still-image viewers show, is read\n")
    } else if info.pages > 1 {
        writeStandardError("note: \(path) has \(info.pages) pages; only the first (\(info.height)×\(info.width), \(layout)) is read\n")
    }
    if info.format == .tiff && info.extraSamples > 0 {
        let what = info.extraSamples == 1 ? (info.hasAlpha ? "1 extra sample per pixel (alpha)" : "1 extra sample per pixel")
                                          : "\(info.extraSamples) extra samples per pixel"
        writeStandardError("note: \(path) has \(what) beyond its \(layout), dropped: only the \(layout) is read "
                           + "(a stack that tifffile stored as planar RGBA loses a slice: write it with photometric='minisblack')\n")
    }
}

/// Reads an image for a run at `--data-range W`. A float file's samples are divided by W, onto
/// the [0, 1] scale the methods are set for. An integer file (PNG, 8- or 16-bit TIFF) is read on
/// that scale already, white being 1: an input is refused (divided again, it was restored as a
/// near-black image), a `reference` is read as it is (divided, an 8-bit sharp PNG scored a
/// restoration 72 dB).
func readImage(_ path: String, dataRange: Double, reference: Bool = false) throws -> Image {
    try readInput(path, dataRange: dataRange, reference: reference).image
}

/// Reads an image as `readImage` does, divided by `dataRange` when one is given, with its file's
/// description (a restoration's output depth follows the input's).
func readInput(_ path: String, dataRange: Double?, reference: Bool = false) throws -> (image: Image, info: ImageFileInfo) {
    let (image, info) = try ImageIO.readWithInfo(path)
    notePages(info, of: path)
    guard let dataRange else { return (image, info) }
    if info.isFloat {
        let scaled = image.scaled(by: Float(1 / dataRange))
        // Samples of 1e30 and more divided by a small W leave single precision.
        if !scaled.isFinite && image.isFinite {
            throw CLIError("--data-range \(String(format: "%g", dataRange)): \(path)'s samples divided by it leave single precision "
                           + "(\(scaled.nonFiniteCount) become infinite): give the value of white in the image's units")
        }
        return (scaled, info)
    }
    guard reference else {
        throw CLIError("--data-range \(String(format: "%g", dataRange)): \(path) holds \(info.bitsPerSample)-bit integer samples, read on "
                       + "the [0, 1] scale already (white is 1); --data-range W is for a float TIFF in other units")
    }
    return (image, info)
}

/// The sample depth of a restoration written to `path`: `--bit-depth` when given, else 32-bit
/// float in a TIFF, and in a PNG the input's integer depth: 16-bit for a 16-bit or float input
/// (8 bits would drop half of what a 16-bit microscopy image holds), 8-bit for one of 8 bits or fewer.
func restoredDepth(to path: String, input info: ImageFileInfo, bitDepth: Convert.BitDepth?) -> SampleDepth {
    if let bitDepth { return bitDepth.depth }
    guard ImageFormat(path: path) == .png else { return .float32 }
    return info.isFloat || info.bitsPerSample > 8 ? .uint16 : .uint8
}

/// Refuses `--bit-depth 32` with a PNG `output`: PNG has no float samples.
func checkBitDepth(_ bitDepth: Convert.BitDepth?, output: String) throws {
    if ImageFormat(path: output) == .png && bitDepth == .thirtyTwo {
        throw ValidationError("Please choose --bit-depth 8 or 16 for PNG output (got 32); 32-bit float needs a .tif file.")
    }
}

/// The image a run at `--data-range W` writes at `depth`: the [0, 1] result times W as 32-bit
/// float (a TIFF, in the input's units); as integers (a PNG, or a TIFF of --bit-depth 8 or 16),
/// whose samples are on the [0, 1] scale with white at full scale, the result as it is (times W,
/// every sample above 1 was clamped to white).
func outputImage(_ restored: Image, depth: SampleDepth, dataRange: Double?) -> Image {
    guard let dataRange, depth == .float32 else { return restored }
    return restored.scaled(by: Float(dataRange))
}

/// What to say of an image whose samples reach far past the nominal [0, 1] (a float TIFF in
/// raw units) when a restoration of it failed or overflowed, in the input's own units (`image`
/// is divided by `dataRange` already); nil for an ordinary image.
func samplesReach(_ image: Image, dataRange: Double?) -> String? {
    let range = image.statistics(), reach = Double(max(abs(range.min), abs(range.max))) * (dataRange ?? 1)
    guard reach > 1e6 else { return nil }
    return String(format: "its samples reach %.3g, far outside the nominal [0, 1]: rescale it, or pass --data-range W (the value of white)", reach)
}

/// Checks a `--data-range` value: the samples' nominal maximum, from 1e-30 to 1e30. The image is
/// divided by it and a float result multiplied back in single precision: --data-range 1e308
/// divided every sample to 0 and wrote a NaN image with exit status 0, 1e-320 made every
/// sample infinite and was blamed on the file.
func checkDataRange(_ range: Double?) throws {
    if let range, !dataRangeLimits.contains(range) {
        throw ValidationError("Please give a --data-range from \(dataRangeLimitsText) (the value of white in the image's units; got \(range)).")
    }
}

/// The stderr notes for `image`, read from `path` without --data-range and restored by `method`
/// into `output` of `depth`, when its samples leave the nominal [0, 1] by far: the scale note when
/// the method's settings depend on the scale, the clipping note when `output` holds integers.
/// Each says what the other does not, so a scale-dependent method into a PNG (the CNN, the
/// hyper-Laplacian) gets both; `deconvolve` and `refine` share this so they say the same.
func noteUnits(of image: Image, path: String, method: String, scaleDependent: Bool, output: String, depth: SampleDepth) {
    if scaleDependent { noteScale(of: image, path: path, method: method) }
    if depth != .float32 { notePNGOutput(output, of: image, path: path) }
}

/// The stderr note for an integer `output` (a PNG, or a TIFF of --bit-depth 8 or 16) of an image in
/// other units (a float TIFF of counts): the file holds [0, 1], so every sample above 1 is written
/// white, a picture of nothing.
private func notePNGOutput(_ output: String, of image: Image, path: String) {
    guard let reach = image.farOutsideUnitRange() else { return }
    writeStandardError("note: \(path)'s samples reach \(String(format: "%.4g", reach)), far outside the "
                       + "nominal [0, 1], and \(output) holds [0, 1], clipped: pass --data-range W, W the value of white in the image's "
                       + "units, to write the [0, 1] restoration there, or write a 32-bit float .tif\n")
}

/// The stderr note for an image whose samples leave the nominal [0, 1] by far (a float TIFF in
/// raw units, 0–255 or counts) restored by `method`, whose regularization is set for that scale:
/// the result is not the [0, 1] result in other units, and nothing else would say so.
private func noteScale(of image: Image, path: String, method: String) {
    guard let reach = image.farOutsideUnitRange() else { return }
    writeStandardError("note: \(path)'s samples reach \(String(format: "%.4g", reach)), far outside the nominal [0, 1], and \(method)'s "
                       + "settings are for [0, 1]: its result is not the [0, 1] result in other units. Pass --data-range W, W the value "
                       + "of white in the image's units (255 for 8-bit, 65535 for 16-bit data), to restore it on that scale\n")
}
