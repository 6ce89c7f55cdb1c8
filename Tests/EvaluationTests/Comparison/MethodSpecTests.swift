import Testing
@testable import Evaluation

@Suite struct MethodSpecTests {
    @Test func parsesNameAndOrderedParameters() throws {
        let spec = try MethodSpec.parse("rl:iterations=30,boundary=masked")
        #expect(spec.name == "rl")
        #expect(spec.parameters.map(\.key) == ["iterations", "boundary"])
        #expect(spec.parameterDictionary == ["iterations": "30", "boundary": "masked"])
        #expect(spec.description == "rl:iterations=30,boundary=masked")
    }

    @Test func listEntriesWithoutColonContinueThePreviousMethod() throws {
        let specs = try MethodSpec.parseList("blurred, wiener:nsr=auto,rl:iterations=30,boundary=masked,cnn:model=a.dbk")
        #expect(specs.map(\.description) == ["blurred", "wiener:nsr=auto", "rl:iterations=30,boundary=masked", "cnn:model=a.dbk"])
    }

    @Test func settingReplacesInPlaceOrAppends() throws {
        let spec = try MethodSpec.parse("tikhonov:lambda=0.002,boundary=reflect")
        #expect(spec.setting("lambda", to: "0.01").description == "tikhonov:lambda=0.01,boundary=reflect")
        #expect(spec.setting("iterations", to: "5").description == "tikhonov:lambda=0.002,boundary=reflect,iterations=5")
    }

    @Test(arguments: ["", "rl:", "rl:iterations", "rl:=3", "rl:iterations=", "iterations=3,rl", "rl:a=1,a=2",
                      "blurred,,rl", "r l", "rl,rl"])
    func malformedSpecsAreTypedErrors(text: String) {
        #expect(throws: EvaluationError.self) { try MethodSpec.parseList(text) }
    }
}
