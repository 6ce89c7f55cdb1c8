# The README's two commands. Both install the C libraries first when they are missing.
.PHONY: demo test release deps

deps:
	@.ci/install-deps

release: deps
	swift build -c release

# The main job: synthesize a small dataset, restore it with every method, write the reports.
demo: release
	.build/release/deblur demo

# The whole test suite (debug build).
test: deps
	swift build
	swift test
