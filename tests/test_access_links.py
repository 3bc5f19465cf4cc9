"""Time-limited download links for issued copies, from a real S3 server (SeaweedFS on loopback): the
output is uploaded to the ``[access.downloads]`` bucket on first use, the link serves exactly its bytes
under its file name until the link (never the output's period) ends, and ``access expire`` deletes the
object from the bucket with the local file."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from archive_repo.access.delivery import expire_outputs
from archive_repo.catalog.models import AccessOutput
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import load_settings
from helpers import EXAMPLES, NO_VIRUS_SCAN, catalog, trust_examples

PUBLIC_DOC = "H49.64.33.2024.31.0000001"
REQUEST = ["--name", "Phạm Văn Đọc", "--id-number", "001203004567", "--purpose", "01", "--fee", "10"]


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, seaweed) -> None:  # noqa: ANN001
    for name in ("ARCHIVE_REPO_LANG", "ARCHIVE_REPO_DB", "ARCHIVE_REPO_OPERATOR", "ARCHIVE_REPO_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEST_DOWNLOADS_ACCESS", seaweed.access_key)
    monkeypatch.setenv("TEST_DOWNLOADS_SECRET", seaweed.secret_key)


@pytest.fixture
def repo(tmp_path: Path, seaweed, bucket: str) -> Path:  # noqa: ANN001
    home = tmp_path / "kho"
    options = ["--archive-code", "LTLSHG", "--archive-name", "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang"]
    assert guarded(cli, ["init", "-R", str(home), *options, *NO_VIRUS_SCAN]) == 0
    trust_examples(home)
    source = EXAMPLES / "submissions" / "bag-H49.64.33.2024.31"
    assert guarded(cli, ["ingest", "-R", str(home), str(source), "--workers", "1", "--no-progress"]) == 0
    seaweed.make_bucket(bucket)
    config = home / "archive-repo.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "\n[access.downloads]\n"
        + f'endpoint = "{seaweed.endpoint}"\nbucket = "{bucket}"\nprefix = "ban-sao"\n'
        + 'access_key_env = "TEST_DOWNLOADS_ACCESS"\nsecret_key_env = "TEST_DOWNLOADS_SECRET"\n',
        encoding="utf-8",
    )
    return home


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = guarded(cli, [str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def issued_output(capsys: pytest.CaptureFixture[str], repo: Path, kind: str) -> dict:
    code, out, err = run(
        capsys, "access", "request", "-R", repo, PUBLIC_DOC, "--kind", kind, *REQUEST, "--format", "json"
    )
    assert code == 0, err
    code, out, err = run(capsys, "access", "issue", "-R", repo, json.loads(out)["code"], "--format", "json")
    assert code == 0, err
    return json.loads(out)["outputs"][0]


def test_a_link_serves_the_copy_until_it_ends_and_expiry_deletes_it(
    capsys, repo: Path, seaweed, bucket: str
) -> None:
    output = issued_output(capsys, repo, "copy")
    settings = load_settings(repo)
    local = settings.access_dir / output["path"]
    code, out, err = run(
        capsys, "access", "link", "-R", repo, str(output["id"]), "--hours", "1", "--format", "json"
    )
    assert code == 0, err
    link = json.loads(out)
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(minutes=59) < expires - datetime.now(expires.tzinfo) <= timedelta(hours=1)
    with urllib.request.urlopen(link["url"], timeout=30) as response:
        assert response.read() == local.read_bytes()
        assert local.name in response.headers["Content-Disposition"]
    key = "ban-sao/" + output["path"]
    assert seaweed.client().head_object(Bucket=bucket, Key=key)["ContentLength"] == output["size"]
    # a second link reuses the uploaded object
    assert run(capsys, "access", "link", "-R", repo, str(output["id"]))[0] == 0
    with catalog(settings) as session:
        row = session.get(AccessOutput, output["id"])
        later = row.delete_after + timedelta(seconds=1)
        expired, failed = expire_outputs(session, settings, "test", now=later)
        session.commit()
    assert [e.output_id for e in expired] == [output["id"]] and failed == []
    assert not local.exists()
    listed = seaweed.client().list_objects_v2(Bucket=bucket, Prefix="ban-sao/").get("Contents", [])
    assert listed == []
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(link["url"], timeout=30)


def test_no_link_for_a_reading_copy(capsys, repo: Path, seaweed, bucket: str) -> None:
    output = issued_output(capsys, repo, "reading")
    code, _, err = run(capsys, "access", "link", "-R", repo, str(output["id"]))
    assert code == 2 and "chỉ xem trong hệ thống" in err
    assert seaweed.client().list_objects_v2(Bucket=bucket).get("Contents", []) == []


def test_an_unreachable_bucket_is_a_located_message(capsys, repo: Path, seaweed) -> None:
    output = issued_output(capsys, repo, "copy")
    config = repo / "archive-repo.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(seaweed.endpoint, "http://127.0.0.1:9"), encoding="utf-8"
    )
    code, _, err = run(capsys, "access", "link", "-R", repo, str(output["id"]), "--lang", "en")
    assert code == 2 and f"output {output['id']}" in err
