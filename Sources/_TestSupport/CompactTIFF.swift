import Foundation

/// An 8-bit gray TIFF (little-endian, one row per strip) whose header gives `width` × `height`
/// pixels in a file of about 8 bytes per row: every strip points at the same PackBits-compressed
/// row of zeros, so large headers cost little disk. With `pixels: false` the strips point past
/// the end of the file instead: a header with no pixel data behind it, which any reader that
/// goes on to decode the pixels reports as damaged.
public func compactGrayTIFF(width: Int, height: Int, pixels: Bool = true) -> Data {
    precondition(width >= 1 && height >= 2 && width <= Int(UInt32.max) && height <= Int(UInt32.max), "size \(width)×\(height)")
    func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    // PackBits: a header byte 1 − n (as a signed byte) repeats the next byte n times, n ≤ 128.
    var row: [UInt8] = []
    var left = width
    while left > 0 {
        let n = min(left, 128)
        row += [UInt8(truncatingIfNeeded: 1 - n), 0]
        left -= n
    }
    let entries = 9
    let offsetsAt = 8 + 2 + 12 * entries + 4, countsAt = offsetsAt + 4 * height, rowAt = countsAt + 4 * height
    let stripAt = pixels ? rowAt : rowAt + row.count + 4096
    let tags: [(tag: Int, type: Int, count: Int, value: Int)] = [
        (256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 32773), (262, 3, 1, 1),
        (273, 4, height, offsetsAt), (277, 3, 1, 1), (278, 4, 1, 1), (279, 4, height, countsAt)]
    precondition(tags.count == entries)
    var bytes: [UInt8] = [0x49, 0x49, 42, 0] + le(8, 4) + le(entries, 2)
    for t in tags { bytes += le(t.tag, 2) + le(t.type, 2) + le(t.count, 4) + le(t.value, 4) }
    bytes += le(0, 4)
    bytes.reserveCapacity(rowAt + row.count)
    for _ in 0..<height { bytes += le(stripAt, 4) }
    for _ in 0..<height { bytes += le(row.count, 4) }
    bytes += row
    return Data(bytes)
}
