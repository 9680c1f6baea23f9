"""Prompt templates, kept as plain files and read at run time."""

from importlib import resources


def load(name: str) -> str:
    """Read a template shipped in this package (works from a wheel, not only a checkout)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
