"""coverage-diff: which test configurations a change to CI stops running, and why."""

__version__ = "0.1.0"
