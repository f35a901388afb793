"""Prompts live as versioned text files next to this module; `render` fills their `$placeholders`."""

import re
from functools import cache
from importlib.resources import files
from string import Template

PROMPT_VERSION = "2026-12-05"

# The tags prompts put around quoted data. Channel content must never open or close one of them.
_DATA_TAGS = re.compile(r"<(/?)(thread|notes|brief|messages)\b", re.IGNORECASE)


@cache
def load(name: str) -> Template:
    """The prompt template `name` (file `<name>.txt` in this package)."""
    return Template(files(__package__).joinpath(f"{name}.txt").read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    """Fill a prompt; a missing value raises KeyError naming it, so prompts never ship half-filled."""
    return load(name).substitute(values)


def quoted(text: str) -> str:
    """Text for inside the prompts' data tags: a `<thread>`, `</messages>`… in what people wrote cannot open
    or close a section (prompt injection), so it is shown with a look-alike bracket."""
    return _DATA_TAGS.sub(r"‹\1\2", text)


__all__ = ["PROMPT_VERSION", "load", "quoted", "render"]
