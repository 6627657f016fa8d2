"""coverage-diff: which test configurations a change to CI stops running, and why."""

__version__ = "0.1.0"

# Where the project and its documentation live (SARIF `informationUri`, the PR comment's footer).
HOMEPAGE = "https://github.com/OWNER/coverage-diff"
DOCS_URL = f"{HOMEPAGE}/blob/main/docs"
