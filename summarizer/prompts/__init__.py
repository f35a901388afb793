"""Prompts live as versioned text files next to this module; `render` fills their `$placeholders`."""

from functools import cache
from importlib.resources import files
from string import Template

PROMPT_VERSION = "2026-11-23"


@cache
def load(name: str) -> Template:
    """The prompt template `name` (file `<name>.txt` in this package)."""
    return Template(files(__package__).joinpath(f"{name}.txt").read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    """Fill a prompt; a missing value raises KeyError naming it, so prompts never ship half-filled."""
    return load(name).substitute(values)


__all__ = ["PROMPT_VERSION", "load", "render"]
