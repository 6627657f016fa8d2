"""`python -m coverage_diff`: the same command line as the `coverage-diff` script."""

from .cli import entry

if __name__ == "__main__":
    entry()
