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
    """``locales/<lang>.toml`` plus one file per area in ``locales/<lang>/``; a key defined twice is a
    packaging error, refused rather than silently shadowed."""
    flat: dict[str, str] = {}
    for path in [_LOCALES / f"{lang}.toml", *sorted((_LOCALES / lang).glob("*.toml"))]:
        with open(path, "rb") as handle:
            part = _flatten(tomllib.load(handle))
        clash = sorted(set(part) & set(flat))
        if clash:
            raise RuntimeError(f"message keys defined twice in locales ({path.name}): {', '.join(clash)}")
        flat.update(part)
    return flat


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
