"""Settings of S3 locations, [storage] (copies, object-lock retention) and [fixity]: parsing, every
validation error naming its exact key, credentials from the environment, and render_settings round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive_repo.config import (
    CONFIG_FILE,
    ConfigError,
    FixityConfig,
    S3Location,
    StoragePolicy,
    load_settings,
    render_settings,
)

ACCESS_ENV = "ARCHIVE_REPO_TEST_S3_ACCESS"
SECRET_ENV = "ARCHIVE_REPO_TEST_S3_SECRET"

S3_BLOCK = """
[[storage.locations]]
name = "s3-a"
type = "s3"
endpoint = "http://127.0.0.1:8333"
bucket = "archive-g09"
prefix = "/kho/ban-1/"
region = "ap-southeast-1"
access_key_env = "ARCHIVE_REPO_TEST_S3_ACCESS"
secret_key_env = "ARCHIVE_REPO_TEST_S3_SECRET"
object_lock = "Governance"
addressing_style = "virtual"
verify_tls = false
part_size_mb = 64
max_attempts = 7
connect_timeout = 3
read_timeout = 120.5
"""


def settings_text(storage: str = "", fixity: str = "", s3: str = S3_BLOCK, local: bool = True) -> str:
    text = '[archive]\ncode = "G09"\n'
    if fixity:
        text += f"\n[fixity]\n{fixity}\n"
    if storage:
        text += f"\n[storage]\n{storage}\n"
    if local:
        text += '\n[[storage.locations]]\nname = "local-1"\ntype = "local"\npath = "store"\n'
    return text + s3


def load(tmp_path: Path, text: str):  # noqa: ANN201 - Settings
    (tmp_path / CONFIG_FILE).write_text(text, encoding="utf-8")
    return load_settings(tmp_path)


def refused(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, text)
    for lang in ("vi", "en"):
        message = error.value.message(lang)
        assert "{" not in message, message  # every placeholder filled
        assert str(error.value.params.get("key", "")) in message
    return error.value


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ACCESS_ENV, "AKIA-TEST")
    monkeypatch.setenv(SECRET_ENV, "very-secret-value")


def test_an_s3_location_is_read_with_every_setting(tmp_path: Path) -> None:
    settings = load(tmp_path, settings_text())
    local, s3 = settings.locations
    assert (local.kind, local.path, local.s3) == ("local", (tmp_path / "store").resolve(), None)
    assert (s3.name, s3.kind, s3.path) == ("s3-a", "s3", None)
    assert s3.s3 == S3Location(
        bucket="archive-g09",
        endpoint="http://127.0.0.1:8333",
        prefix="kho/ban-1",
        region="ap-southeast-1",
        access_key="AKIA-TEST",
        secret_key="very-secret-value",
        addressing_style="virtual",
        verify_tls=False,
        object_lock="governance",
        part_size_mb=64,
        max_attempts=7,
        connect_timeout=3,
        read_timeout=120.5,
        access_key_env=ACCESS_ENV,
        secret_key_env=SECRET_ENV,
    )
    assert "very-secret-value" not in repr(settings) and "AKIA-TEST" not in repr(settings)
    # Defaults: as many copies as locations; a yearly fixity audit.
    assert settings.storage_policy == StoragePolicy(copies=2, lock_years_permanent=10, lock_years_max=70)
    assert settings.fixity == FixityConfig(period_days=365, workers=2, max_rate_mb=0)


def test_defaults_of_an_s3_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    minimal = '\n[[storage.locations]]\nname = "s3-b"\ntype = "s3"\nbucket = "kho-so"\n'
    location = load(tmp_path, settings_text(s3=minimal)).locations[1].s3
    assert location == S3Location(bucket="kho-so")
    # No credentials anywhere: None, so boto3's own chain (AWS_ACCESS_KEY_ID, ~/.aws, roles) applies.
    assert (location.access_key, location.secret_key) == (None, None)
    assert (location.endpoint, location.region, location.object_lock) == ("", "us-east-1", "compliance")
    assert (location.part_size_mb, location.max_attempts, location.verify_tls) == (16, 5, True)


def test_credentials_written_in_the_file_and_a_ca_bundle(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    block = (
        '\n[[storage.locations]]\nname = "s3-c"\ntype = "s3"\nbucket = "kho-so"\n'
        'access_key = "KEY"\nsecret_key = "SECRET"\nverify_tls = "ca.pem"\n'
    )
    location = load(tmp_path, settings_text(s3=block)).locations[1].s3
    assert (location.access_key, location.secret_key) == ("KEY", "SECRET")
    assert location.verify_tls == str((tmp_path / "ca.pem").resolve())
    assert (location.access_key_env, location.secret_key_env) == ("", "")


def test_a_missing_credential_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV)
    error = refused(tmp_path, settings_text())
    assert error.message_key == "config.s3_env_missing"
    assert error.params["key"] == "storage.locations[1].secret_key_env"
    assert error.params["variable"] == SECRET_ENV
    assert SECRET_ENV in error.message("vi") and SECRET_ENV in error.message("en")
    monkeypatch.setenv(SECRET_ENV, "  ")
    assert refused(tmp_path, settings_text()).message_key == "config.s3_env_missing"


def replace_line(setting: str, value: str | None) -> str:
    """The S3 block with ``setting`` set to ``value`` (None: removed), ``setting`` added if absent."""
    lines = [line for line in S3_BLOCK.splitlines() if not line.startswith(f"{setting} =")]
    if value is not None:
        lines.append(f"{setting} = {value}")
    return "\n".join(lines) + "\n"


KEY = "storage.locations[1]."


@pytest.mark.parametrize(
    ("setting", "value", "message_key", "key"),
    [
        ("bucket", None, "config.bad_value", KEY + "bucket"),
        ("bucket", '""', "config.bad_value", KEY + "bucket"),
        ("bucket", '"Kho_Luu_Tru"', "config.bad_value", KEY + "bucket"),
        ("bucket", "7", "config.bad_value", KEY + "bucket"),
        ("name", None, "config.bad_value", KEY + "name"),
        ("type", '"ftp"', "config.bad_value", KEY + "type"),
        ("endpoint", '"ftp://127.0.0.1"', "config.bad_value", KEY + "endpoint"),
        ("endpoint", '"127.0.0.1:8333"', "config.bad_value", KEY + "endpoint"),
        ("prefix", '"kho/../khac"', "config.bad_value", KEY + "prefix"),
        ("region", '""', "config.bad_value", KEY + "region"),
        ("object_lock", '"worm"', "config.bad_choice", KEY + "object_lock"),
        ("addressing_style", '"dns"', "config.bad_choice", KEY + "addressing_style"),
        ("verify_tls", "1", "config.bad_value", KEY + "verify_tls"),
        ("verify_tls", '"no-such-ca.pem"', "config.bad_value", KEY + "verify_tls"),
        ("part_size_mb", "4", "config.out_of_range", KEY + "part_size_mb"),
        ("part_size_mb", "16.5", "config.bad_value", KEY + "part_size_mb"),
        ("max_attempts", "0", "config.out_of_range", KEY + "max_attempts"),
        ("max_attempts", "true", "config.bad_value", KEY + "max_attempts"),
        ("connect_timeout", "0", "config.out_of_range", KEY + "connect_timeout"),
        ("read_timeout", '"60"', "config.bad_value", KEY + "read_timeout"),
        ("access_key_env", '"NOT A NAME"', "config.bad_value", KEY + "access_key_env"),
        ("access_key", '"KEY"', "config.s3_credential_twice", KEY + "access_key"),
        ("secret_key_env", None, "config.bad_value", KEY + "secret_key"),
        ("secret_key_envv", '"X"', "config.unknown_setting", KEY + "secret_key_envv"),
    ],
)
def test_every_s3_setting_error_names_its_key(
    tmp_path: Path, setting: str, value: str | None, message_key: str, key: str
) -> None:
    error = refused(tmp_path, settings_text(s3=replace_line(setting, value)))
    assert (error.message_key, error.params["key"]) == (message_key, key)


@pytest.mark.parametrize(
    ("storage", "fixity", "message_key", "key"),
    [
        ("copies = 3", "", "config.copies_exceed", "storage.copies"),
        ("copies = 0", "", "config.out_of_range", "storage.copies"),
        ('copies = "2"', "", "config.bad_value", "storage.copies"),
        ("lock_years_permanent = 0", "", "config.out_of_range", "storage.lock_years_permanent"),
        ("lock_years_max = 1.5", "", "config.bad_value", "storage.lock_years_max"),
        ("lock_years_max = 101", "", "config.out_of_range", "storage.lock_years_max"),
        ("copy = 2", "", "config.unknown_setting", "storage.copy"),
        ("", "period_days = 1096", "config.out_of_range", "fixity.period_days"),
        ("", "period_days = 0", "config.out_of_range", "fixity.period_days"),
        ("", 'period_days = "365"', "config.bad_value", "fixity.period_days"),
        ("", "workers = 0", "config.out_of_range", "fixity.workers"),
        ("", "max_rate_mb = -1", "config.out_of_range", "fixity.max_rate_mb"),
        ("", "max_rate_mb = nan", "config.bad_value", "fixity.max_rate_mb"),
        ("", "period = 30", "config.unknown_setting", "fixity.period"),
    ],
)
def test_storage_and_fixity_errors_name_their_key(
    tmp_path: Path, storage: str, fixity: str, message_key: str, key: str
) -> None:
    error = refused(tmp_path, settings_text(storage=storage, fixity=fixity))
    assert (error.message_key, error.params["key"]) == (message_key, key)


def test_copies_and_fixity_in_range_are_taken(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        settings_text(
            storage="copies = 1\nlock_years_permanent = 5\nlock_years_max = 30",
            fixity="period_days = 1095\nworkers = 4\nmax_rate_mb = 50.5",
        ),
    )
    assert settings.storage_policy == StoragePolicy(copies=1, lock_years_permanent=5, lock_years_max=30)
    assert settings.fixity == FixityConfig(period_days=1095, workers=4, max_rate_mb=50.5)


def test_two_locations_in_the_same_place_are_refused(tmp_path: Path) -> None:
    same_bucket = S3_BLOCK.replace('"s3-a"', '"s3-b"').replace('prefix = "/kho/ban-1/"', 'prefix = "kho"')
    error = refused(tmp_path, settings_text(s3=S3_BLOCK + same_bucket))
    assert error.message_key == "config.same_place"
    assert (error.params["key"], error.params["other"]) == ("storage.locations[2]", "storage.locations[1]")
    # Same bucket, separate prefixes: two places.
    other = S3_BLOCK.replace('"s3-a"', '"s3-b"').replace('prefix = "/kho/ban-1/"', 'prefix = "kho/ban-2"')
    assert len(load(tmp_path, settings_text(s3=S3_BLOCK + other)).locations) == 3
    nested = '\n[[storage.locations]]\nname = "local-2"\ntype = "local"\npath = "store/inside"\n'
    error = refused(tmp_path, settings_text(s3=nested))
    assert (error.message_key, error.params["key"]) == ("config.same_place", "storage.locations[1]")


def test_render_settings_keeps_its_old_form(tmp_path: Path) -> None:
    settings = load(tmp_path, render_settings("G09", "Trung tâm Lưu trữ"))
    assert [(loc.name, loc.kind) for loc in settings.locations] == [("local-1", "local")]
    assert settings.storage_policy.copies == 1
    assert settings.fixity.period_days == 365
    text = render_settings("G09", "", "", [("local-1", "store"), ("local-2", "/mnt/disk2/kho")], 3)
    settings = load(tmp_path, text)
    assert [loc.path for loc in settings.locations] == [
        (tmp_path / "store").resolve(),
        Path("/mnt/disk2/kho"),
    ]
    assert settings.storage_policy.copies == 2 and settings.workers == 3
    assert "[fixity]" in text and "lock_years_permanent = 10" in text


def test_render_settings_with_s3_locations_loads_back(tmp_path: Path) -> None:
    text = render_settings(
        "G09",
        "Trung tâm Lưu trữ quốc gia",
        locations=[("local-1", "store")],
        s3_locations=[
            {
                "name": "s3-a",
                "endpoint": "http://127.0.0.1:8333",
                "bucket": "archive",
                "access_key_env": ACCESS_ENV,
                "secret_key_env": SECRET_ENV,
                "object_lock": "compliance",
            },
            {
                "name": "s3-b",
                "bucket": "archive-2",
                "prefix": "g09",
                "region": "eu-west-1",
                "part_size_mb": 32,
            },
            {
                "name": "s3-c",
                "bucket": "archive-3",
                "access_key": "K",
                "secret_key": "S",
                "verify_tls": False,
            },
        ],
        copies=3,
        lock_years_permanent=12,
        lock_years_max=50,
        fixity_period_days=180,
        fixity_workers=3,
        fixity_max_rate_mb=20,
    )
    settings = load(tmp_path, text)
    names = [(loc.name, loc.kind) for loc in settings.locations]
    assert names == [("local-1", "local"), ("s3-a", "s3"), ("s3-b", "s3"), ("s3-c", "s3")]
    a, b, c = (loc.s3 for loc in settings.locations[1:])
    assert (a.endpoint, a.bucket, a.access_key, a.secret_key) == (
        "http://127.0.0.1:8333",
        "archive",
        "AKIA-TEST",
        "very-secret-value",
    )
    assert (b.endpoint, b.prefix, b.region, b.part_size_mb, b.access_key) == (
        "",
        "g09",
        "eu-west-1",
        32,
        None,
    )
    assert (c.access_key, c.secret_key, c.verify_tls) == ("K", "S", False)
    assert settings.storage_policy == StoragePolicy(copies=3, lock_years_permanent=12, lock_years_max=50)
    assert settings.fixity == FixityConfig(period_days=180, workers=3, max_rate_mb=20)
    assert "very-secret-value" not in text  # only the variable's name is written
    # Only S3 locations: no default local store is added.
    only_s3 = render_settings("G09", "", s3_locations=[{"name": "s3-a", "bucket": "archive"}])
    assert [loc.name for loc in load(tmp_path, only_s3).locations] == ["s3-a"]
    with pytest.raises(ValueError):
        render_settings("G09", "", s3_locations=[{"name": "s3-a"}])
