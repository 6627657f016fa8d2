"""Diff kinds: what can happen to a test subject between two revisions, one descriptor each.

`diff.py` decides which kind a subject's change is; everything else about a kind is
here, read by the diff (severity, order of the summary), acknowledgements (which kinds
are losses) and every renderer (headings, the comment's cells, SARIF descriptors).
A new kind is one `DiffKind` in `DIFF_KINDS` plus the code in `diff.py` that finds it;
the JSON Schema's `kind` enum and the README's table are checked against this
table by the tests (tests/test_kinds.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Severity


@dataclass(frozen=True)
class DiffKind:
    id: str  # what `Finding.kind` holds, and ids, baselines and `accept[...]` name
    severity: Severity
    title: str  # the heading of its group in text
    description: str  # what it means: SARIF help, one sentence
    sarif_name: str  # SARIF's short rule name
    comment_rank: int | None  # its place in the PR comment's lists and counts (None: after every ranked kind)
    loss: bool = False  # a test configuration stops running or runs less: explained, grouped by cause, acknowledgeable
    happened: str = ""  # the PR comment's "what happened" cell (markdown); "" gives the id in bold
    # The clause of the PR comment's verdict its findings are counted in (`report.markdown.VERDICTS`:
    # "stops", "loses", "rarer"); "" for kinds the verdict does not count.
    verdict: str = ""

    @property
    def informational(self) -> bool:
        """Nothing is lost: folded away in the comment, listed without its why in text."""
        return self.severity is Severity.INFO


DIFF_KINDS: tuple[DiffKind, ...] = (  # in the order text lists them and the summary counts them
    DiffKind("silently-dropped", Severity.ERROR, "SILENTLY DROPPED (still defined, no job runs it)",
             "A test configuration ran before and runs nowhere now, although it is still defined.",
             "TestConfigurationSilentlyDropped", 0, loss=True,
             happened="**silently dropped**: still defined, runs nowhere", verdict="stops"),
    DiffKind("removed", Severity.WARNING, "REMOVED (no longer defined)",
             "A test configuration ran before and is no longer defined.",
             "TestConfigurationRemoved", 1, loss=True, happened="**removed**: no longer defined", verdict="stops"),
    DiffKind("narrowed", Severity.ERROR, "NARROWED (some of its runs are gone)",
             "A test configuration still runs, but some of its variants (backend, job, platform) are gone.",
             "TestConfigurationNarrowed", 2, loss=True, happened="**narrowed**: some of its runs are gone",
             verdict="loses"),
    DiffKind("tier-changed", Severity.WARNING, "TIER CHANGED (still runs, in rarer builds)",
             "A test configuration still runs, but in rarer builds (every pull request -> nightly only, say).",
             "AuditTierChanged", None, verdict="rarer"),  # what SARIF has called it so far (the others: TestConfiguration...)
    DiffKind("changed", Severity.INFO, "CHANGED", "A test configuration runs with different arguments or environment.",
             "TestConfigurationChanged", 4),
    DiffKind("moved", Severity.INFO, "MOVED", "A test configuration runs the same, from other jobs or files.",
             "TestConfigurationMoved", 3),
    DiffKind("added", Severity.INFO, "ADDED", "A test configuration, or a variant of one, now runs.",
             "TestConfigurationAdded", 5),
)

KINDS: dict[str, DiffKind] = {kind.id: kind for kind in DIFF_KINDS}
LOSS_KINDS: tuple[str, ...] = tuple(kind.id for kind in DIFF_KINDS if kind.loss)
INFORMATIONAL: frozenset[str] = frozenset(kind.id for kind in DIFF_KINDS if kind.informational)
