"""``archive-repo fixity audit|report|schedule`` and ``storage list|sync`` on local stores.

One repository with two local locations is made per module (the examples ingested); each test works on
its own copy of it, damages what it needs and checks what the audit records and repairs. The same audits
on SeaweedFS are in test_fixity_s3.py.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from archive_repo.catalog.event_log import parse_event_log
from archive_repo.catalog.models import AuditRun, File, FixityCheck, Incident, PremisEvent, StorageCopy
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import load_settings
from archive_repo.i18n import translate
from helpers import EXAMPLES, NO_VIRUS_SCAN, catalog, trust_examples

STORES = ("store-a", "store-b")


@pytest.fixture(autouse=True)
def _no_language_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVE_REPO_LANG", raising=False)
    monkeypatch.delenv("ARCHIVE_REPO_DB", raising=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("fixity") / "kho"
    stores = [item for store in STORES for item in ("--store", store)]
    options = ["--archive-code", "LTLSHG", "--archive-name", "Trung tâm Lưu trữ lịch sử", *stores]
    assert guarded(cli, ["init", "-R", str(home), *options, *NO_VIRUS_SCAN]) == 0
    trust_examples(home)
    code = guarded(cli, ["ingest", "-R", str(home), str(EXAMPLES / "submissions"), "--no-progress"])
    assert code == 1  # the defective examples are rejected, four are held
    return home


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    home = tmp_path / "kho"
    shutil.copytree(template, home)
    return home


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    capsys.readouterr()
    code = guarded(cli, [str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def audit_json(capsys: pytest.CaptureFixture[str], home: Path, *more: str) -> tuple[int, dict]:
    code, out = run(capsys, "fixity", "audit", "-R", home, "--format", "json", *more)
    return code, json.loads(out)


def copies_of(home: Path, suffix: str) -> dict[str, Path]:
    """The file ending with ``suffix`` in each store, by store folder name."""
    found = {}
    for store in STORES:
        matches = sorted(p for p in (home / store).rglob(f"*{suffix}") if "_events" not in p.parts)
        found[store] = matches[0]
    return found


def flip_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_audit_all_checks_every_copy_and_records_it(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, record = audit_json(capsys, repo, "--all")
    settings = load_settings(repo)
    with catalog(settings) as session:
        copies = session.scalars(select(StorageCopy)).all()
        checks = session.scalars(select(FixityCheck)).all()
        events = session.scalars(select(PremisEvent).where(PremisEvent.type == "fixity check")).all()
        ingest_time = max(c.created_at for c in copies)
    assert code == 0
    assert record["checked"] == record["ok"] == len(copies) == len(checks) > 0
    assert record["bytes_checked"] == 2 * sum(f["bytes"] for f in [record["locations"]["local-1"]])
    assert {c.outcome for c in checks} == {"ok"}
    assert all(c.verified_at >= ingest_time for c in copies)
    assert len([e for e in events if e.detail.startswith("location ")]) == len(copies)
    assert set(record["locations"]) == {"local-1", "local-2"}


def test_corrupted_and_missing_copies_are_repaired_from_a_good_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = copies_of(repo, ".pdf")
    original = pdf["store-b"].read_bytes()
    flip_byte(pdf["store-a"])
    ead = copies_of(repo, "EAD.xml")
    ead_bytes = ead["store-a"].read_bytes()
    ead["store-b"].unlink()

    code, record = audit_json(capsys, repo, "--all")

    assert code == 0, record
    assert (record["failed"], record["repaired"], record["unrecoverable"]) == (2, 2, 0)
    assert pdf["store-a"].read_bytes() == original
    assert ead["store-b"].read_bytes() == ead_bytes
    kinds = {(i["kind"], i["location"], i["outcome"], i["source_location"]) for i in record["incidents"]}
    assert kinds == {
        ("corrupt", "local-1", "recovered", "local-2"),
        ("missing", "local-2", "recovered", "local-1"),
    }
    with catalog(load_settings(repo)) as session:
        recoveries = session.scalars(select(PremisEvent).where(PremisEvent.type == "recovery")).all()
        assert sorted(e.outcome for e in recoveries) == ["success", "success"]
        assert {c.status for c in session.scalars(select(StorageCopy))} == {"ok"}
    code, again = audit_json(capsys, repo, "--all")
    assert code == 0 and again["failed"] == 0 and again["incidents"] == []


def test_a_file_bad_everywhere_is_unrecoverable_and_loud(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = copies_of(repo, ".pdf")
    flip_byte(pdf["store-a"])
    pdf["store-b"].unlink()
    code, out = run(capsys, "fixity", "audit", "-R", repo, "--all")
    assert code == 3
    assert translate("audit.unrecoverable_alarm", "vi", count=1) in out
    assert "KHÔNG THỂ KHÔI PHỤC" in out
    with catalog(load_settings(repo)) as session:
        incidents = session.scalars(select(Incident)).all()
        assert sorted(i.outcome for i in incidents) == ["unrecoverable", "unrecoverable"]
        run_row = session.scalars(select(AuditRun)).one()
        assert run_row.unrecoverable_count == 2 and run_row.status == "finished"
    assert not pdf["store-b"].exists()  # nothing was invented


def test_no_repair_leaves_an_open_incident(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = copies_of(repo, ".pdf")
    flip_byte(pdf["store-a"])
    damaged = pdf["store-a"].read_bytes()
    code, record = audit_json(capsys, repo, "--all", "--no-repair")
    assert code == 1
    assert [i["outcome"] for i in record["incidents"]] == ["open"]
    assert pdf["store-a"].read_bytes() == damaged
    code, record = audit_json(capsys, repo, "--aip", record["incidents"][0]["objid"])
    assert code == 0 and record["repaired"] == 1


def test_limits_stop_the_run_and_leave_the_rest(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, record = audit_json(capsys, repo, "--all", "--max-bytes", "1", "--workers", "1")
    assert code == 0
    assert record["stopped_by"] == "max-bytes"
    assert record["checked"] == 1 and record["not_checked"] == record["planned"] - 1 > 0


def test_due_takes_the_overdue_and_a_share_of_the_rest(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(repo)
    with catalog(settings) as session:
        total = session.scalar(select(StorageCopy.id).order_by(StorageCopy.id.desc()).limit(1))
        overdue_ids = [1, 2, 3]
        old = session.scalar(select(StorageCopy.verified_at).limit(1)) - timedelta(days=400)
        session.execute(update(StorageCopy).where(StorageCopy.id.in_(overdue_ids)).values(verified_at=old))
        session.commit()
    code, record = audit_json(capsys, repo, "--due")
    assert code == 0
    assert 3 <= record["checked"] < total
    with catalog(settings) as session:
        checked = set(session.scalars(select(FixityCheck.copy_id)))
    assert set(overdue_ids) <= checked


def test_a_tampered_catalog_is_reported_against_the_aip_mets(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(repo)
    with catalog(settings) as session:
        file = session.scalars(select(File).where(File.path.like("%.pdf"))).first()
        path = file.path
        file.sha256 = "0" * 64
        session.commit()
    code, record = audit_json(capsys, repo, "--all")
    assert code == 3  # every copy now disagrees with the catalog: nothing is "repaired" from it
    mismatches = [i for i in record["incidents"] if i["kind"] == "catalog_mismatch"]
    assert [i["path"] for i in mismatches][:1] == [path]
    assert "0" * 64 in mismatches[0]["detail"]


def test_event_logs_in_every_store_match_the_catalog(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flip_byte(copies_of(repo, ".pdf")["store-a"])
    code, record = audit_json(capsys, repo, "--all")
    assert code == 0
    with catalog(load_settings(repo)) as session:
        started = session.scalars(select(AuditRun.started_at)).one()
        since_audit = select(PremisEvent).where(PremisEvent.occurred_at >= started)
        wanted = {e.identifier: e.type for e in session.scalars(since_audit)}
    assert set(wanted.values()) == {"fixity check", "recovery"}
    for store in STORES:
        logged = {}
        for log in (repo / store / "_events").rglob("*.xml"):
            logged.update({e.identifier: e.type for e in parse_event_log(log.read_bytes())})
        assert logged == wanted


def test_report_and_english(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flip_byte(copies_of(repo, ".pdf")["store-a"])
    assert run(capsys, "fixity", "audit", "-R", repo, "--all")[0] == 0
    code, out = run(capsys, "fixity", "report", "-R", repo, "--lang", "en")
    assert code == 0
    assert "Fixity audit 1 (all): finished" in out
    assert "repaired from the copy at local-2" in out
    code, out = run(capsys, "fixity", "report", "-R", repo, "7")
    assert code == 2 and translate("audit.not_found", "vi", run=7) in out


def test_storage_sync_fills_a_new_location(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "fixity", "audit", "-R", repo, "--all")[0] == 0  # an earlier audit's event logs
    earlier_logs = sorted(
        p.relative_to(repo / "store-a") for p in (repo / "store-a" / "_events").rglob("*.xml")
    )
    config = repo / "archive-repo.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[[storage.locations]]\nname = "local-3"\ntype = "local"\npath = "store-c"\n',
        encoding="utf-8",
    )
    code, out = run(capsys, "storage", "sync", "-R", repo, "--dry-run", "--format", "json")
    plan = json.loads(out)
    assert code == 0 and plan["planned"] > 0 and plan["copied"] == 0
    assert not (repo / "store-c").exists()
    (repo / "store-c").mkdir()  # the new disk, mounted
    code, out = run(capsys, "storage", "sync", "-R", repo, "--format", "json")
    done = json.loads(out)
    assert code == 0 and done["copied"] == plan["planned"] and done["failures"] == []
    assert done["event_logs_copied"] == len(earlier_logs) > 0
    for path in (repo / "store-a").rglob("*"):
        if path.is_file() and "_events" not in path.parts:
            assert (repo / "store-c" / path.relative_to(repo / "store-a")).read_bytes() == path.read_bytes()
    for log in earlier_logs:  # the history of checks made before the location existed came along
        assert (repo / "store-c" / log).read_bytes() == (repo / "store-a" / log).read_bytes()
    with catalog(load_settings(repo)) as session:
        replications = session.scalars(select(PremisEvent).where(PremisEvent.type == "replication")).all()
        assert len(replications) == plan["planned"]
    code, record = audit_json(capsys, repo, "--all", "--location", "local-3")
    assert code == 0 and record["ok"] == plan["planned"]
    code, out = run(capsys, "storage", "list", "-R", repo, "--format", "json")
    status = json.loads(out)
    assert [loc["copies"] for loc in status["locations"]] == [plan["planned"]] * 3
    assert status["under_replicated"] == 0


def test_sync_to_an_unknown_location_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "storage", "sync", "-R", repo, "--location", "nowhere")
    assert code == 2 and "nowhere" in out


def test_schedule_plan_cron_and_service(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "fixity", "schedule", "-R", repo, "--format", "json")
    plan = json.loads(out)
    assert code == 0 and plan["period_days"] == 365 and plan["copies"] > 0
    assert plan["daily_bytes"] * 365 >= plan["total_bytes"]
    assert plan["measured_bytes_per_second"] is None
    code, out = run(capsys, "fixity", "schedule", "-R", repo, "--print", "cron", "--at", "03:05")
    assert out.startswith("5 3 * * * ") and "fixity audit --due" in out and str(repo) in out
    code, out = run(capsys, "fixity", "schedule", "-R", repo, "--print", "systemd")
    assert "OnCalendar=*-*-* 02:17:00" in out and "ExecStart=" in out
    code, out = run(capsys, "fixity", "schedule", "-R", repo, "--serve", "--run-now", "--max-runs", "1")
    assert code == 0
    with catalog(load_settings(repo)) as session:
        assert session.scalars(select(AuditRun.scope)).all() == ["due"]
    code, out = run(capsys, "fixity", "schedule", "-R", repo, "--format", "json")
    assert json.loads(out)["measured_bytes_per_second"] > 0
    code, out = run(capsys, "fixity", "schedule", "-R", repo, "--at", "25:00")
    assert code == 2


def add_local_location(home: Path, name: str, folder: str) -> None:
    config = home / "archive-repo.toml"
    block = f'\n[[storage.locations]]\nname = "{name}"\ntype = "local"\npath = "{folder}"\n'
    config.write_text(config.read_text(encoding="utf-8") + block, encoding="utf-8")


def test_a_bad_sibling_found_while_repairing_is_repaired_too(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_local_location(repo, "local-3", "store-c")
    (repo / "store-c").mkdir()
    assert run(capsys, "storage", "sync", "-R", repo)[0] == 0
    pdf = copies_of(repo, ".pdf")
    good = pdf["store-a"].read_bytes()
    flip_byte(pdf["store-a"])
    flip_byte(pdf["store-b"], 200)
    code, record = audit_json(capsys, repo, "--all", "--location", "local-1")
    assert code == 0, record
    assert sorted((i["location"], i["outcome"], i["source_location"]) for i in record["incidents"]) == [
        ("local-1", "recovered", "local-3"),
        ("local-2", "recovered", "local-3"),
    ]
    assert pdf["store-a"].read_bytes() == good == pdf["store-b"].read_bytes()


def test_a_replaced_copy_is_set_aside_first(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = copies_of(repo, ".pdf")
    flip_byte(pdf["store-a"])
    damaged = pdf["store-a"].read_bytes()
    code, record = audit_json(capsys, repo, "--all")
    assert code == 0 and record["repaired"] == 1
    aside = (
        repo / "store-a" / "_quarantine" / str(record["run"]) / pdf["store-a"].relative_to(repo / "store-a")
    )
    assert aside.read_bytes() == damaged
    assert pdf["store-a"].read_bytes() != damaged


def test_an_unknown_aip_or_location_is_an_error_not_a_clean_audit(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "fixity", "audit", "-R", repo, "--aip", "urn:X:uuid-nope")
    assert code == 2 and "urn:X:uuid-nope" in out
    code, out = run(capsys, "fixity", "audit", "-R", repo, "--location", "nowhere")
    assert code == 2 and "nowhere" in out
    with catalog(load_settings(repo)) as session:
        assert session.scalars(select(AuditRun)).all() == []


def test_sync_never_writes_into_a_missing_location_root(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_local_location(repo, "local-3", "mnt/not-mounted")
    code, out = run(capsys, "storage", "sync", "-R", repo, "--format", "json")
    result = json.loads(out)
    assert code == 1 and result["copied"] == 0 and result["failures"]
    assert not (repo / "mnt").exists()
    code, record = audit_json(capsys, repo, "--all")
    assert code == 0  # the two real locations are fine; local-3 has no copies to check


def test_due_is_oldest_first_and_max_time_stops(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(repo)
    with catalog(settings) as session:
        ids = list(session.scalars(select(StorageCopy.id).order_by(StorageCopy.id)))
        base = session.scalar(select(StorageCopy.verified_at).limit(1))
        for age, copy_id in enumerate(reversed(ids)):  # the highest id is the most recently verified
            session.execute(
                update(StorageCopy)
                .where(StorageCopy.id == copy_id)
                .values(verified_at=base - timedelta(days=age))
            )
        session.commit()
    code, record = audit_json(capsys, repo, "--due", "--workers", "1")
    with catalog(settings) as session:
        checked = list(session.scalars(select(FixityCheck.copy_id).order_by(FixityCheck.id)))
    assert code == 0
    assert checked == ids[: len(checked)]  # the least recently verified, in that order
    assert 0 < len(checked) < len(ids)
    code, record = audit_json(capsys, repo, "--all", "--max-time", "0")
    assert code == 0 and record["stopped_by"] == "max-time" and record["checked"] == 0


def test_doctor_marks_a_killed_audit_interrupted(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket
    import subprocess
    import sys

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    with catalog(load_settings(repo)) as session:
        session.add(AuditRun(operator="x", host=socket.gethostname(), pid=int(dead.stdout), scope="all"))
        session.commit()
    code, out = run(capsys, "doctor", "-R", repo)
    assert translate("doctor.audit_interrupted", "vi", kind="audit", run=1) in out
    with catalog(load_settings(repo)) as session:
        assert session.scalars(select(AuditRun.status)).all() == ["interrupted"]
