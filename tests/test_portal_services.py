"""The portal's services without a browser: accounts (registration, activation, Argon2 hashes, lockout,
one message for every failed login) and the public search (diacritics ignored, filters, and never a
secret record, including one made secret by a later version)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from archive_repo.catalog.models import Document, Package, PortalAccount, PortalEvent
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import load_settings
from archive_repo.portal.accounts import (
    NewAccount,
    activate,
    add_staff,
    authenticate,
    pending_accounts,
    register,
)
from archive_repo.portal.errors import PortalError
from archive_repo.portal.search import Criteria, public_document, public_search, type_choices
from helpers import EXAMPLES, NO_VIRUS_SCAN, allow_unsigned_documents, build_sip_hoso, catalog, trust_examples

SECRET_CODE = "H49.64.33.2024.98"
PASSWORD = "mat-khau-rat-dai-2026"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("portal-services")
    home = base / "kho"
    assert guarded(cli, ["init", "-R", str(home), "--archive-code", "LTLSHG", *NO_VIRUS_SCAN]) == 0
    trust_examples(home)
    allow_unsigned_documents(home)
    secret = build_sip_hoso(
        base / "secret",
        2,
        package={"fileCode": SECRET_CODE, "mode": "03", "title": "Hồ sơ mật về bồi dưỡng"},
        docs={1: {"mode": "03"}, 2: {"mode": "03"}},
        objid="uuid-98000000-0000-4000-8000-000000000001",
    )
    sources = [EXAMPLES / "submissions" / "bag-H49.64.33.2024.31", secret]
    code = guarded(cli, ["ingest", "-R", str(home), *map(str, sources), "--workers", "1", "--no-progress"])
    assert code == 0
    return home


def new_account(email: str = "nghien.cuu@example.vn", **changes: str) -> NewAccount:
    fields = {
        "email": email,
        "full_name": "Lê Thị Nghiên Cứu",
        "identity_kind": "cccd",
        "identity_number": "001203004567",
        "password": PASSWORD,
    }
    fields.update(changes)
    return NewAccount(**fields)


def test_an_account_waits_for_activation_then_logs_in(repo: Path) -> None:
    settings = load_settings(repo)
    with catalog(settings) as session:
        account = register(session, new_account(), "127.0.0.1")
        assert account.status == "pending" and account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash
        [(pending, due)] = pending_accounts(session)
        assert pending.id == account.id and due > account.created_at.date() - timedelta(days=1)
        with pytest.raises(PortalError) as caught:
            authenticate(session, "Nghien.Cuu@example.vn", PASSWORD)
        assert caught.value.message_key == "portal_account.login_failed"
        activate(session, account.id, "staff@example.vn")
        assert authenticate(session, " NGHIEN.CUU@example.vn ", PASSWORD).id == account.id
        actions = session.scalars(
            select(PortalEvent.action).where(PortalEvent.account_id == account.id)
        ).all()
        assert actions == ["register", "login_failed", "activate", "login"]
        session.rollback()


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"email": "not-an-address"}, "portal_account.bad_email"),
        ({"password": "short"}, "portal_account.weak_password"),
        ({"identity_number": "12345"}, "portal_account.bad_identity"),
        ({"full_name": " "}, "portal_account.bad_name"),
    ],
)
def test_a_bad_registration_names_the_problem(repo: Path, changes: dict, key: str) -> None:
    with catalog(load_settings(repo)) as session:
        with pytest.raises(PortalError) as caught:
            register(session, new_account(**{"email": "x@example.vn", **changes}))
        assert caught.value.message_key == key and caught.value.message("vi")


def test_one_address_one_account(repo: Path) -> None:
    with catalog(load_settings(repo)) as session:
        register(session, new_account("mot@example.vn"))
        with pytest.raises(PortalError) as caught:
            register(session, new_account("MOT@example.vn"))
        assert caught.value.message_key == "portal_account.email_taken"
        session.rollback()


def test_five_failures_lock_the_account_and_the_message_never_tells_who_exists(repo: Path) -> None:
    with catalog(load_settings(repo)) as session:
        staff = add_staff(session, "can.bo@example.vn", "Cán Bộ", PASSWORD, approver=True)
        unknown = pytest.raises(PortalError)
        with unknown as caught:
            authenticate(session, "khong.co@example.vn", PASSWORD)
        assert caught.value.message_key == "portal_account.login_failed"
        for _ in range(5):
            with pytest.raises(PortalError) as caught:
                authenticate(session, staff.email, "sai-mat-khau-0000")
            assert caught.value.message_key == "portal_account.login_failed"
        with pytest.raises(PortalError) as caught:
            authenticate(session, staff.email, PASSWORD)  # right password, but locked: the same message
        assert caught.value.message_key == "portal_account.login_failed" and staff.locked_until is not None
        session.execute(update(PortalAccount).where(PortalAccount.id == staff.id).values(locked_until=None))
        assert authenticate(session, staff.email, PASSWORD).role == "staff"
        session.rollback()


def test_search_ignores_diacritics_and_filters(repo: Path) -> None:
    with catalog(load_settings(repo)) as session:
        hits, total = public_search(session, Criteria(text="BOI DUONG nghiep vu"), "vi")
        assert total == 2 and {h.code for h in hits} == {
            "H49.64.33.2024.31.0000001",
            "H49.64.33.2024.31.0000002",
        }
        hits, _ = public_search(session, Criteria(type_code="02"), "vi")
        assert hits and all(h.type_code == "02" and h.type_label == "Quyết định" for h in hits)
        hits, _ = public_search(
            session, Criteria(date_from=date(2024, 8, 2), date_to=date(2024, 12, 31)), "vi"
        )
        assert [h.code for h in hits] == ["H49.64.33.2024.31.0000002"]
        assert public_search(session, Criteria(fonds="NO-SUCH"), "vi") == ([], 0)
        assert ("02", "Decision") in type_choices("en")


def test_secret_records_are_never_described(repo: Path) -> None:
    with catalog(load_settings(repo)) as session:
        hits, total = public_search(session, Criteria(text="mat"), "vi")
        assert all(not h.code.startswith(SECRET_CODE) for h in hits)
        everything, total = public_search(session, Criteria(per_page=100), "vi")
        assert all(not h.code.startswith(SECRET_CODE) for h in everything) and total == len(everything)
        secret_ids = session.scalars(select(Document.id).where(Document.code.like(f"{SECRET_CODE}%"))).all()
        assert secret_ids and all(public_document(session, i, "vi") is None for i in secret_ids)
        public = everything[0]
        assert public_document(session, public.document_id, "vi")["title"] == public.title


def test_a_dossier_made_secret_by_a_later_version_disappears(repo: Path) -> None:
    settings = load_settings(repo)
    with catalog(settings) as session:
        package = session.scalars(
            select(Package).where(Package.arc_file_code == "LTLSHG.H49.64.33.2024.31")
        ).one()
        newer = Package(
            objid="urn:test:secret-supplement",
            variant="AIP_hoso",
            title="Bổ sung",
            mode="03",
            status="active",
            arc_file_code=package.arc_file_code,
            version=package.version + 1,
            supersedes_id=package.id,
            record_status="SUPPLEMENT",
        )
        session.add(newer)
        session.flush()
        hits, _ = public_search(session, Criteria(text="boi duong"), "vi")
        assert hits == []
        document = session.scalars(select(Document).where(Document.package_id == package.id)).first()
        assert public_document(session, document.id, "vi") is None
        session.rollback()
