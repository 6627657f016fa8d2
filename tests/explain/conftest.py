"""Shared fixtures: the vLLM-style example repository (tags base and head), analysed once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "fixtures"))

import history  # noqa: E402

from coverage_diff.engine.session import Session  # noqa: E402


@pytest.fixture(scope="session")
def vllm_repo(tmp_path_factory) -> Path:
    return history.build(ROOT / "fixtures" / "vllm_pd_split", tmp_path_factory.mktemp("explain") / "repo")


@pytest.fixture(scope="session")
def session(vllm_repo):
    opened = Session(vllm_repo)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def head(session):
    return session.inventory("head")


@pytest.fixture(scope="session")
def base(session, head):
    return session.inventory("base", head.settings)
