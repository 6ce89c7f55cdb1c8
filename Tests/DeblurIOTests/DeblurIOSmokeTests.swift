import Testing
@testable import DeblurIO
