/// ArgumentParser reads a token such as `-30` as an option name, so `--angle -30` failed with
/// "Missing value" and `--nsr -1` never reached the check that names the bad value. No deblur
/// option is spelled with a digit, so a dash followed by a digit (or by `.` and a digit) after a
/// long option that has no `=` value of its own can only be that option's value: it is joined to
/// it as `--angle=-30`. So are `-inf`, `-infinity` and `-nan` (any case), which Swift reads as
/// numbers: deblur has no short options made of those letters, and `--sigma -inf` said "Missing
/// value" instead of naming the value. After `--` every token is left as given.
func joiningNegativeValues(_ arguments: [String]) -> [String] {
    var joined = [String]()
    joined.reserveCapacity(arguments.count)
    var terminated = false
    for token in arguments {
        if !terminated, looksNegativeNumeric(token), let previous = joined.last,
           previous.hasPrefix("--"), previous.count > 2, !previous.contains("=") {
            joined[joined.count - 1] = previous + "=" + token
            continue
        }
        if token == "--" { terminated = true }
        joined.append(token)
    }
    return joined
}

private func looksNegativeNumeric(_ token: String) -> Bool {
    if ["-inf", "-infinity", "-nan"].contains(token.lowercased()) { return true }
    let scalars = Array(token.unicodeScalars.prefix(3))
    guard scalars.count >= 2, scalars[0] == "-" else { return false }
    func isDigit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }
    if isDigit(scalars[1]) { return true }
    return scalars.count == 3 && scalars[1] == "." && isDigit(scalars[2])
}
