"""The Jinja2 environment: templates from the top-level templates/ folder, strict about missing values."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

_PACKAGE = Path(__file__).resolve().parent.parent


def templates_dir() -> Path:
    """Inside an installed wheel the templates sit in the package; in a checkout, beside it."""
    for candidate in (_PACKAGE / "templates", _PACKAGE.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"templates folder not found next to {_PACKAGE}")


def ruby_string(value: str) -> str:
    """A Ruby single-quoted literal: nothing inside it runs (no #{...}), only \\ and \\' are escapes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    environment.filters["ruby_string"] = ruby_string
    return environment


def render_template(name: str, **values: Any) -> str:
    return _environment().get_template(name).render(**values)
