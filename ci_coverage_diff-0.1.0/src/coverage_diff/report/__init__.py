"""Renderers: one module per output format, each with
`render(report: Report, **options) -> str`.  Renderers only present findings;
they never compute anything the analyses did not put in the Report."""

from __future__ import annotations

from importlib import import_module

FORMATS = {
    "text": "text",
    "json": "json",
    "markdown": "markdown",
    "sarif": "sarif",
    "github": "github",
    "gitlab": "gitlab",
}


def renderer(fmt: str):
    """The `render` function for a format (imported lazily: small runs pay only for theirs)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return import_module(f"{__name__}.{FORMATS[fmt]}").render
