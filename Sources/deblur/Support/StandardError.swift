import DeblurCore
import Foundation

/// Writes `text` to stderr as it is (no newline added). A message stderr cannot take (closed
/// with `2>&-`, a full device) is lost: `FileHandle.write` traps on a failed write, which ended
/// the process with status 132 instead of its own exit status, before its cleanup.
func writeStandardError(_ text: String) {
    // stderr is unbuffered: each call reaches the descriptor at once, in order with
    // ArgumentParser's own messages (which go through the same stream).
    fputs(text, stderr)
}

/// Says how many samples of `image` an integer file clamps to [0, 1]; nothing when none are.
func noteClampedSamples(_ image: Image) {
    let clamped = image.pixels.reduce(0) { $0 + ($1 >= 0 && $1 <= 1 ? 0 : 1) }
    if clamped > 0 {
        writeStandardError("note: \(clamped) of \(image.count) samples outside [0, 1] were clamped\n")
    }
}
