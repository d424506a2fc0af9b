# The two commands of the quick start. scripts/dev.py does the work (set up .venv when it is
# missing or stale, then run), so Windows, without make, runs the same: py scripts\dev.py test

PYTHON ?= python3

.PHONY: demo test

# The main job on the sample data against the embedded sandbox.
demo:
	$(PYTHON) scripts/dev.py demo $(ARGS)

# ruff, then the test suite: what CI runs (make test ARGS="-k lock" passes options to pytest).
test:
	$(PYTHON) scripts/dev.py test $(ARGS)
