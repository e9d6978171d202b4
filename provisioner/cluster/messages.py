"""Turns pydantic's validation errors into messages that speak of the cluster file's keys."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from provisioner.cluster.model import (
    BOX_PATTERN,
    DIRECTORY_PATTERN,
    IMAGE_REPOSITORY_PATTERN,
    INTERFACE_PATTERN,
    LOCAL_FILE_PATTERN,
    NAME_PATTERN,
    PERIOD_PATTERN,
    RETENTION_PATTERN,
    URL_PATTERN,
    USER_PATTERN,
    VERSION_PATTERN,
    ClusterFile,
)

_TYPE_NAMES = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "model_type": "a mapping",
    "dict_type": "a mapping",
    "model_attributes_type": "a mapping",
}

_PATTERN_MEANINGS = {
    NAME_PATTERN: "lowercase letters, digits and '-' (not first or last)",
    DIRECTORY_PATTERN: "an absolute path of letters, digits, '_', '.', '+', '-'",
    VERSION_PATTERN: "a version such as 1.31.4",
    URL_PATTERN: "an http://, https:// or file:// URL of letters, digits and ._~:/?@&=+,%[]-",
    LOCAL_FILE_PATTERN: "a file path of letters, digits, spaces and _.+~/@=,- (not starting with '-' or a space)",
    BOX_PATTERN: "a Vagrant box name such as debian/bookworm64 (letters, digits, '_', '.', '-', one '/')",
    USER_PATTERN: "a user name (letters, digits, '_', '.', '-'; not starting with '-')",
    INTERFACE_PATTERN: "a network interface name (up to 15 letters, digits, '_', '.', '-')",
    PERIOD_PATTERN: "a period such as 30m, 6h or 1d (minutes, hours or days)",
    RETENTION_PATTERN: "hours as a number, a duration such as 30m or 1h, or a revision count",
    IMAGE_REPOSITORY_PATTERN: "an image registry such as registry.example:5000/k8s (lowercase host[:port][/path])",
}


def _yaml_type(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)


def _model_at(path: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that holds the mapping at `path`, for listing the keys it accepts."""
    model: type[BaseModel] = ClusterFile
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        found = _find_model(field.annotation)
        if found is None:
            return None
        model = found
    return model


def _find_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for argument in typing.get_args(annotation):
            found = _find_model(argument)
            if found is not None:
                return found
    return None


def describe(error: ErrorDetails) -> str:
    kind = error["type"]
    context: dict[str, Any] = dict(error.get("ctx") or {})
    value = error.get("input")
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        model = _model_at(tuple(error["loc"][:-1]))
        allowed = ", ".join(model.model_fields) if model else ""
        return f"unknown key (expected one of: {allowed})" if allowed else "unknown key"
    if kind in _TYPE_NAMES:
        return f"expected {_TYPE_NAMES[kind]}, got {_yaml_type(value)}"
    if kind == "literal_error":
        return f"expected one of {context['expected']}, got {value!r}"
    if kind == "string_pattern_mismatch":
        meaning = _PATTERN_MEANINGS.get(context.get("pattern", ""), f"text matching {context.get('pattern')}")
        return f"expected {meaning}, got {value!r}"
    if kind == "string_too_long":
        return f"expected at most {context['max_length']} characters, got {len(value)}"
    if kind in ("too_short", "string_too_short"):
        return "expected at least one entry" if kind == "too_short" else "expected a non-empty string"
    if kind in ("greater_than_equal", "less_than_equal"):
        return _range_message(error, value)
    if kind == "invalid_key":
        return f"expected keys to be strings, got {_yaml_type(value)} {value!r}"
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    return f"{error['msg']}, got {value!r}"


def _range_message(error: ErrorDetails, value: Any) -> str:
    loc = error["loc"]
    if loc and isinstance(loc[-1], str) and loc[-1].endswith("port"):
        return f"expected a port number from 1 to 65535, got {value!r}"
    context: dict[str, Any] = dict(error.get("ctx") or {})
    if "ge" in context:
        return f"expected a number >= {context['ge']}, got {value!r}"
    return f"expected a number <= {context['le']}, got {value!r}"
