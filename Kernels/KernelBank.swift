import Foundation

/// The shipped bank of blur kernels (this folder), as package resources.
public enum KernelBank {
    /// The folder holding `kernels.json` and `tif/`, inside the built resource bundle.
    public static var directory: URL { Bundle.module.resourceURL! }
}
