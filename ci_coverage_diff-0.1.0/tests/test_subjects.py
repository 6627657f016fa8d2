"""What counts as a test (subjects.is_test): every kind of command the issue names."""

import pytest

from coverage_diff.config import Settings
from coverage_diff.model import ConfigEntry, Location, Run
from coverage_diff.subjects import is_test


def run(*argv, background=False, entry=False):
    config = ConfigEntry("MODEL=x", Location("ci/sweep.sh", 3), "configs") if entry else None
    return Run("job", tuple(argv), (), Location("ci/run.sh", 1), "", config, background=background,
               entries=(config,) if config else ())


@pytest.mark.parametrize("argv", [
    ("pytest", "-v", "tests/test_a.py"), ("python3", "-m", "pytest", "tests"), ("python", "-m", "unittest", "discover"),
    ("ctest", "--output-on-failure"), ("cargo", "test", "--all"), ("go", "test", "./..."), ("npm", "test"),
    ("npm", "run", "test:unit"), ("lm_eval", "--model", "vllm"), ("torchrun", "--nproc-per-node=4", "tests/distributed/test_x.py"),
    ("$PYTHON_BIN", "-m", "pytest", "-x", "tests/test_b.py"), ("uv", "run", "pytest"), ("python3", "tests/standalone/lazy_imports.py"),
    ("python3", "examples/offline/generate.py", "--model", "m"), ("./build/bin/run_tests",), ("make", "check"),
    ("TEST_MODEL=m", "python3", "-m", "pytest", "tests/test_c.py"),
])
def test_tests(argv):
    assert is_test(run(*argv), Settings())


@pytest.mark.parametrize("argv", [
    ("flock", "9"), ("jobs", "-pr"), ("ps", "-p", "$!"), ("sha256sum", "docker/Dockerfile"),
    ("aws", "ecr-public", "get-login-password", "--region", "us-east-1"), ("init_config",), ("python3", "-c", "import vllm"),
    ("python3", "-"), ("vllm", "serve", "model"), ("python3", "setup.py", "develop"), ("cargo", "binstall", "cargo-sort"),
    ("mktemp", "-d"), ("jq", ".failed", "./test_results/x.json"), ("python3", "-m", "pip", "install", "x"),
])
def test_setup(argv):
    assert not is_test(run(*argv), Settings())


def test_background_programs_are_setup_unless_they_run_a_config():
    assert not is_test(run("python3", "tests/toy_proxy_server.py", "--port", "8192", background=True), Settings())
    assert is_test(run("vllm", "serve", "model", background=True, entry=True), Settings())


def test_settings_name_more_tests():
    settings = Settings(test_commands=("vllm bench", "run-suite"))
    assert is_test(run("vllm", "bench", "serve"), settings) and is_test(run("/opt/bin/run-suite"), settings)
    assert not is_test(run("vllm", "serve", "m"), settings)
