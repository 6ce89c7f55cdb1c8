import Testing
@testable import Refinement
