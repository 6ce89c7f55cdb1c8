/// The level `k` of `value`, clamped to [0, 1], on a grid of `levels` steps (2^b − 1 for b-bit
/// samples): k = ⌊v · levels + ½⌋, NaN giving 0. The integer writers and the noise stage's
/// quantization both round this way, so a quantized image written at that depth and read back
/// is unchanged.
///
/// The product is taken in Double, where v · (2^b − 1) + ½ is exact (24 + 16 significant bits):
/// in Float32 a product within half an ulp of k + ½ rounded onto it, and the level taken then
/// was one away from the nearest for about 1 uniform sample in 750 at 16 bits.
@inlinable @inline(__always)
public func nearestLevel(_ value: Float, levels: Double) -> Int32 {
    // NaN fails `value > 0` and lands on 0; the clamped product is in [0, levels + ½), so the
    // conversion cannot overflow, and for a non-negative value it is the floor.
    let clamped: Float = value > 0 ? (value < 1 ? value : 1) : 0
    return Int32(Double(clamped) * levels + 0.5)
}
