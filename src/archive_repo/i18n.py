"""Messages for archive staff and researchers: Vietnamese by default, English on request."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
_LOCALES = Path(__file__).resolve().parent / "locales"


@cache
def _catalog(lang: str) -> dict[str, str]:
    with open(_LOCALES / f"{lang}.toml", "rb") as handle:
        return _flatten(tomllib.load(handle))


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translate(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """Render message ``key`` in ``lang``; falls back to English, then to the key itself."""
    template = _catalog(lang).get(key) or _catalog("en").get(key) or key
    return template.format_map(_Defaulting(params))


def has_message(key: str, lang: str) -> bool:
    return key in _catalog(lang)


def message_keys(lang: str) -> set[str]:
    return set(_catalog(lang))
