import Testing
@testable import Deconvolution
