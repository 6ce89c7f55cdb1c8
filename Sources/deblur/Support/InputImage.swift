import DeblurKit
import Foundation

/// Reads an image file as `ImageIO.read` does, and says on stderr when a multi-page TIFF's other
/// pages are left out: ImageJ hyperstacks, OME-TIFF and tifffile's (channel, y, x) stacks keep
/// channels and slices in pages, so the first page alone is often not the whole image.
func readImage(_ path: String) throws -> Image {
    let (image, info) = try ImageIO.readWithInfo(path)
    notePages(info, of: path)
    return image
}

/// The stderr note of `readImage` for a file already read.
func notePages(_ info: ImageFileInfo, of path: String) {
    guard info.pages > 1 else { return }
    let layout = info.channels == 3 ? "RGB" : "gray"
    writeStandardError("note: \(path) has \(info.pages) pages; only the first (\(info.height)×\(info.width), \(layout)) is read\n")
}
