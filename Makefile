# The README's two commands. Both install the C libraries first when they are missing.
.PHONY: demo test asan tsan mutants release deps install uninstall denoiser refiner results cli-reference

deps:
	@.ci/install-deps

release: deps
	swift build -c release

# The main job: synthesize a small dataset, restore it with every method, write the reports.
demo: release
	.build/release/deblur demo

# Installs the release build: PREFIX/bin/deblur, and the resource folders it reads (the kernel
# bank, the shipped model) in PREFIX/share/deblurkit, where the executable looks for them
# (README, "Installing"). DESTDIR stages the whole tree elsewhere, for packaging. STATIC=1 links
# the Swift runtime into the executable (its own build folder, .build/static), so that it runs
# on machines that have the four C libraries but no Swift.
PREFIX ?= /usr/local
BUILT = $(if $(STATIC),.build/static/release,.build/release)
install: deps
	swift build -c release $(if $(STATIC),--static-swift-stdlib --scratch-path .build/static)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/deblurkit
	install -m 755 $(BUILT)/deblur $(DESTDIR)$(PREFIX)/bin/deblur
	rm -rf $(DESTDIR)$(PREFIX)/share/deblurkit/DeblurKit_KernelBank.resources $(DESTDIR)$(PREFIX)/share/deblurkit/DeblurKit_Refinement.resources
	cp -R $(BUILT)/DeblurKit_KernelBank.resources $(BUILT)/DeblurKit_Refinement.resources $(DESTDIR)$(PREFIX)/share/deblurkit/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/deblur
	rm -rf $(DESTDIR)$(PREFIX)/share/deblurkit

# The whole test suite (debug build).
test: deps
	swift build
	swift test

# Rewrites the generated part of Docs/CLI.md from the tool's --help (the test that checks the
# page, in record mode).
cli-reference: deps
	swift build
	DEBLUR_WRITE_CLI_REFERENCE=1 swift test --filter CLIReferenceTests

# Whether the tests notice slips: each mutant of Tests/mutants.py changes one detail of the
# code in a worktree of HEAD (.build/mutants) and must fail some test (about an hour).
mutants: deps
	python3 Tests/mutants.py

# The whole suite under AddressSanitizer and LeakSanitizer, in its own build directory (the
# build takes a few minutes, the suite about 5 min on 2 cores). The CLI tests run the
# sanitized tool too, so an overflow or a leak in the tool fails them. Tests/lsan.supp lists
# the toolchain's own leaks.
asan: deps
	swift build --scratch-path .build/asan --sanitize=address --build-tests
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan.supp swift test --scratch-path .build/asan --sanitize=address --skip-build

# The whole suite under ThreadSanitizer, in its own build directory (the build takes several
# minutes, the suite about half an hour on 2 cores). The CLI tests run the sanitized tool too.
# The three tests that run the tool under `ulimit -f` are left out: the sanitizer's runtime
# dies of SIGBUS there.
tsan: deps
	swift build --scratch-path .build/tsan --sanitize=thread --build-tests
	DEBLUR_SANITIZER=thread TSAN_OPTIONS=halt_on_error=0 swift test --scratch-path .build/tsan --sanitize=thread --skip-build

# Retrains the shipped model (Sources/Refinement/Resources/default.model): the plug-and-play
# denoiser of Docs/CNN.md's recipe, 7000 steps and then a warm restart to 11000 (the second
# command resumes the first's checkpoint with a longer cosine schedule, on images of varied
# contrast); about an hour on 2 cores. Copy denoiser.model over the resource to ship it.
DENOISER = .build/release/deblur train --synthetic --task denoise --steps-per-epoch 500 --warmup 100 \
	    --synthetic-images 2048 --texture 0.2 --defocus 3 --grain 0.2 --lens-blur 1 --seed 0 -o denoiser.model
denoiser: release
	$(DENOISER) --steps 7000
	$(DENOISER) --steps 11000 --contrast 0.05 --resume

# The U-Net refiner on automatic Wiener that shipped before the denoiser (Docs/CNN.md, "The
# refiner"); about 40 min on 2 cores. Use it with --model refiner.model or cnn:model=refiner.model.
refiner: release
	.build/release/deblur train --synthetic --steps 2500 --steps-per-epoch 500 --warmup 100 \
	    --synthetic-images 1024 --psf-sizes 13,17,21,25,29,33,37,41 --texture 0.2 --defocus 3 --grain 0.2 \
	    --base wiener --base-param nsr=auto --loss "0.8*l1+0.2*ssim" --seed 0 -o refiner.model

# The tables of Docs/Results.md (needs a Python with scikit-image, Pillow, tifffile: PYTHON=...).
results: release
	sh Examples/results/evaluate.sh results
	$${PYTHON:-python3} Examples/results/summarize.py results
