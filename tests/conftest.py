import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fixtures"))  # `import history` builds fixture repositories

# The persistent cache's per-user key (cache.key_file) lives in a directory of this test
# session, not in the real home; child processes inherit it.
_CONFIG_HOME = tempfile.mkdtemp(prefix="coverage-diff-test-config-")
os.environ["XDG_CONFIG_HOME"] = _CONFIG_HOME


def pytest_unconfigure(config):
    shutil.rmtree(_CONFIG_HOME, ignore_errors=True)
