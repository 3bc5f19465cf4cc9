"""Load the profiles in profiles/: TT05 variants, E-ARK CSIP/SIP/DIP, BagIt profiles. Profiles are data."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from archive_repo.errors import UnknownProfile
from archive_repo.resources import metadata_schemas_dir, profiles_dir

BAGIT_PROFILES = {"bagit": "bagit/bagit.json", "bagit-agency-transfer": "bagit/agency-transfer.json"}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool = False
    required_when: dict[str, list[str]] = field(default_factory=dict)
    max: int | None = None
    digits: int | None = None
    table: str | None = None
    allowed: list[str] | None = None
    formats: list[str] = field(default_factory=list)
    pattern: str | None = None
    label_vi: str = ""
    label_en: str = ""

    def label(self, lang: str) -> str:
        return (self.label_en if lang == "en" else self.label_vi) or self.name


@dataclass(frozen=True)
class RecordSpec:
    kind: str  # package | doc | pic | media
    root: str
    schema: Path | None
    fields: dict[str, FieldSpec]


@dataclass(frozen=True)
class MetsExpectations:
    types: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    rep_profiles: list[str] = field(default_factory=list)
    objid_pattern: str = ""
    folder_name: str = "none"
    amdsec: str = "any"
    rep_div_type: str = ""
    record_status: list[str] = field(default_factory=list)
    root_groups_required: list[str] = field(default_factory=list)
    root_groups_allowed: list[str] = field(default_factory=list)
    rep_groups_required: list[str] = field(default_factory=list)
    rep_groups_allowed: list[str] = field(default_factory=list)
    fonds_note: str = "optional"
    content_information_type: str = "required"


@dataclass(frozen=True)
class Profile:
    name: str
    family: str  # tt05 | eark | bagit
    title_vi: str
    title_en: str
    package_type: str = ""
    package_types: tuple[str, ...] = ()
    variant: str = ""
    premis: str = "optional"
    holey_format: str = "sip"
    mets: MetsExpectations = MetsExpectations()
    records: dict[str, RecordSpec] = field(default_factory=dict)
    bagit: dict[str, Any] | None = None

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_vi

    @property
    def accepted_package_types(self) -> tuple[str, ...]:
        return self.package_types or ((self.package_type,) if self.package_type else ())


def _read_toml(path: Path) -> dict[str, Any]:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


@cache
def load_codes() -> dict[str, dict[str, dict[str, str]]]:
    return _read_toml(profiles_dir() / "codes.toml")


def _record(kind: str, data: dict[str, Any]) -> RecordSpec:
    fields = {name: FieldSpec(name=name, **spec) for name, spec in data.get("fields", {}).items()}
    schema = metadata_schemas_dir() / data["schema"] if data.get("schema") else None
    return RecordSpec(kind=kind, root=data.get("root", "simpledc"), schema=schema, fields=fields)


def _profile_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for folder in ("tt05", "eark"):
        for path in sorted((profiles_dir() / folder).glob("*.toml")):
            files[path.stem] = path
    return files


def all_profile_names() -> list[str]:
    return [*_profile_files(), *BAGIT_PROFILES]


@cache
def load_profile(name: str) -> Profile:
    lookup = {n.lower(): n for n in all_profile_names()}
    canonical = lookup.get(name.lower())
    if canonical is None:
        raise UnknownProfile("cli.unknown_profile", name=name, known=", ".join(all_profile_names()))
    if canonical in BAGIT_PROFILES:
        with open(profiles_dir() / BAGIT_PROFILES[canonical], encoding="utf-8") as handle:
            bag_profile = json.load(handle)
        info = bag_profile.get("BagIt-Profile-Info", {})
        identifier = info.get("BagIt-Profile-Identifier", canonical)
        return Profile(
            name=canonical,
            family="bagit",
            title_vi=f"Hồ sơ BagIt {identifier}",
            title_en=f"BagIt profile {identifier}",
            bagit=bag_profile,
        )
    path = _profile_files()[canonical]
    data = _read_toml(path)
    records: dict[str, RecordSpec] = {}
    if data.get("records"):
        for kind, record in _read_toml(path.parent / data["records"]).items():
            if isinstance(record, dict) and "fields" in record:
                records[kind] = _record(kind, record)
    return Profile(
        name=data["name"],
        family=data["family"],
        title_vi=data["title_vi"],
        title_en=data["title_en"],
        package_type=data.get("package_type", ""),
        package_types=tuple(data.get("package_types", ())),
        variant=data.get("variant", ""),
        premis=data.get("premis", "optional"),
        holey_format=data.get("holey_format", "sip"),
        mets=MetsExpectations(**data.get("mets", {})),
        records=records,
    )
