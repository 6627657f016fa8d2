import history
import pytest

from adoption_kit import PD_SPLIT


@pytest.fixture(scope="module")
def pd_repo(tmp_path_factory):
    """make demo's repository (tags base and head); tests only read it."""
    return history.build(PD_SPLIT, tmp_path_factory.mktemp("pd") / "repo")
