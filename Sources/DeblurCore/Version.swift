/// The toolkit's version, written into every file it produces (dataset.json, model headers, reports).
public enum DeblurKitVersion {
    public static let string = "0.1.0"
}
