"""S3Store against a real SeaweedFS server on loopback (tests/seaweed.py): no mocks.

Round trip, multipart with SHA-256 checksums (and bounded memory), refusal of a wrong SHA-256 leaving
nothing behind, object lock (WORM) and versions, presigned downloads, a server killed in the middle of an
upload, an unreachable server, and no secret in what a store says about itself.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import tracemalloc
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive_repo.config import StorageLocation
from archive_repo.storage.base import ObjectLockedError, StorageError, StoreIntegrityError
from archive_repo.storage.local import LocalStore
from archive_repo.storage.registry import open_store
from archive_repo.storage.s3 import S3Store, composite_checksum, content_disposition
from seaweed import SeaweedServer, require_weed

MIB = 1024 * 1024


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def random_file(path: Path, size: int) -> Path:
    """A file of ``size`` random bytes, written 1 MiB at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        left = size
        while left:
            handle.write(os.urandom(min(MIB, left)))
            left -= min(MIB, left)
    return path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(seaweed: SeaweedServer, bucket: str) -> S3Store:
    seaweed.make_bucket(bucket)
    return S3Store("s3-a", seaweed.location(bucket, prefix="repo"))


@pytest.fixture
def locked_store(seaweed: SeaweedServer, bucket: str) -> S3Store:
    seaweed.make_bucket(bucket, object_lock=True)
    return S3Store("s3-worm", seaweed.location(bucket, object_lock="compliance"))


@pytest.fixture(scope="module")
def own_server() -> Iterator[SeaweedServer]:
    """A server of this module's own, for the tests that kill or stop it."""
    require_weed()
    with SeaweedServer() as server:
        yield server


def pending_uploads(server: SeaweedServer, bucket: str) -> list[str]:
    return [u["Key"] for u in server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


# ------------------------------------------------------------------------------------------------------


def test_round_trip(store: S3Store, seaweed: SeaweedServer, tmp_path: Path) -> None:
    one = write(tmp_path / "one.txt", "Hồ sơ lưu trữ vĩnh viễn\n".encode())
    two = write(tmp_path / "two.bin", os.urandom(3000))
    empty = write(tmp_path / "empty", b"")

    stored = store.put_file("aip-1/data/tài liệu 1.txt", one, size=one.stat().st_size, sha256=sha256_of(one))
    assert (stored.key, stored.size, stored.sha256) == (
        "aip-1/data/tài liệu 1.txt",
        one.stat().st_size,
        sha256_of(one),
    )
    assert stored.version_id is None and stored.retain_until is None  # an unversioned bucket
    store.put_file("aip-1/mets.xml", two)
    store.put_file("aip-2/empty", empty, size=0)
    store.put_file("_log/events.jsonl", one)  # the repository's own folder: not an AIP

    # Under the location's prefix, with the SHA-256 and size as metadata.
    raw = seaweed.client().head_object(Bucket=store.bucket, Key="repo/aip-1/mets.xml")
    assert raw["Metadata"] == {"sha256": sha256_of(two), "size": "3000"}
    assert store.recorded("aip-1/mets.xml").sha256 == sha256_of(two)

    assert store.stat("aip-1/mets.xml") == 3000
    assert store.stat("aip-2/empty") == 0
    assert store.stat("aip-1/nothing") is None
    with store.open("aip-1/data/tài liệu 1.txt") as reader:
        assert reader.read(4) == one.read_bytes()[:4]
        assert reader.read() == one.read_bytes()[4:]
    digest = store.digest("aip-1/mets.xml")
    assert (digest.size, digest.sha256) == (3000, sha256_of(two))

    assert sorted(store.keys("aip-1/")) == ["aip-1/data/tài liệu 1.txt", "aip-1/mets.xml"]
    assert sorted(store.keys()) == [
        "_log/events.jsonl",
        "aip-1/data/tài liệu 1.txt",
        "aip-1/mets.xml",
        "aip-2/empty",
    ]
    assert list(store.prefixes()) == ["aip-1", "aip-2"]

    store.delete("aip-1/mets.xml")
    store.delete("aip-1/mets.xml")  # already gone: no error
    assert store.stat("aip-1/mets.xml") is None
    with pytest.raises(StorageError) as missing:
        store.digest("aip-1/mets.xml")
    assert missing.value.message_key == "storage.missing"
    with pytest.raises(StorageError) as missing:
        store.open("aip-1/mets.xml")
    assert missing.value.message_key == "storage.missing"

    assert store.delete_prefix("aip-1/") == 1
    assert list(store.keys("aip-1/")) == []
    assert list(store.prefixes()) == ["aip-2"]  # an emptied folder is not listed
    assert store.delete_prefix("aip-1") == 0
    with pytest.raises(StorageError) as bad:
        store.put_file("../escape", one)
    assert bad.value.message_key == "storage.bad_key"
    assert store.cleanup_temporary() == []
    store.flush("aip-2/")


def test_large_file_goes_in_parts_with_checksums_and_bounded_memory(
    store: S3Store, seaweed: SeaweedServer, tmp_path: Path
) -> None:
    part = 5 * MIB  # the store's part size (seaweed.location: part_size_mb=5), the S3 minimum
    source = random_file(tmp_path / "big.bin", 40 * MIB + 12345)
    expected = sha256_of(source)

    assert store.client is not None  # made before measuring: boto loads its S3 model once (~10 MiB)
    tracemalloc.start()
    try:
        stored = store.put_file(
            "aip-big/data/phim tư liệu.mp4", source, size=source.stat().st_size, sha256=expected
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (stored.size, stored.sha256) == (source.stat().st_size, expected)
    # One part in memory at a time (plus what boto holds while sending it), never the file.
    assert peak < 3 * part, f"peak {peak / MIB:.1f} MiB for a {source.stat().st_size / MIB:.0f} MiB file"

    part_digests = []
    with open(source, "rb") as reader:
        while chunk := reader.read(part):
            part_digests.append(hashlib.sha256(chunk).digest())
    head = seaweed.client().head_object(
        Bucket=store.bucket, Key="repo/aip-big/data/phim tư liệu.mp4", ChecksumMode="ENABLED"
    )
    assert head["ChecksumSHA256"] == composite_checksum(part_digests)
    assert head["ChecksumSHA256"].endswith("-9")
    assert head["Metadata"]["sha256"] == expected
    assert head["ContentLength"] == source.stat().st_size

    digest = store.digest("aip-big/data/phim tư liệu.mp4")
    assert (digest.size, digest.sha256) == (stored.size, expected)

    # Without an expected SHA-256 the store hashes the file first (the metadata is set up front).
    again = store.put_file("aip-big/copy.mp4", source)
    assert again.sha256 == expected
    assert store.recorded("aip-big/copy.mp4").sha256 == expected
    assert pending_uploads(seaweed, store.bucket) == []


@pytest.mark.parametrize("size", [1000, 12 * MIB], ids=["single-put", "multipart"])
def test_wrong_expected_sha256_leaves_nothing(
    store: S3Store, seaweed: SeaweedServer, tmp_path: Path, size: int
) -> None:
    source = random_file(tmp_path / "f.bin", size)
    with pytest.raises(StoreIntegrityError) as refused:
        store.put_file("aip-x/f.bin", source, size=size, sha256="0" * 64)
    assert refused.value.message_key == "storage.mismatch"
    with pytest.raises(StoreIntegrityError):
        store.put_file("aip-x/f.bin", source, size=size + 1, sha256=sha256_of(source))
    assert store.stat("aip-x/f.bin") is None
    assert list(store.keys("aip-x/")) == []
    assert pending_uploads(seaweed, store.bucket) == []


def test_object_lock_keeps_the_version_ingest_wrote(locked_store: S3Store, tmp_path: Path) -> None:
    store = locked_store
    assert store.supports_object_lock()
    original = write(tmp_path / "v1.xml", b"<mets>original</mets>")
    until = datetime.now(UTC) + timedelta(days=2)

    first = store.put_file("aip-w/mets.xml", original, sha256=sha256_of(original), retain_until=until)
    assert first.version_id
    assert first.retain_until is not None and abs((first.retain_until - until).total_seconds()) < 1

    with pytest.raises(ObjectLockedError) as locked:
        store.delete("aip-w/mets.xml")
    assert locked.value.message_key == "storage.locked"
    assert locked.value.params["key"] == "aip-w/mets.xml"
    assert locked.value.params["until"].startswith(until.date().isoformat())
    with pytest.raises(ObjectLockedError):
        store.delete_prefix("aip-w/")
    assert store.digest("aip-w/mets.xml").sha256 == sha256_of(original)  # still there, intact

    # Writing the key again makes a new version; the original stays readable by its version id.
    changed = write(tmp_path / "v2.xml", b"<mets>changed later</mets>")
    second = store.put_file("aip-w/mets.xml", changed, retain_until=until)
    assert second.version_id and second.version_id != first.version_id
    assert store.digest("aip-w/mets.xml").sha256 == sha256_of(changed)
    old = store.digest("aip-w/mets.xml", version_id=first.version_id)
    assert (old.sha256, old.version_id) == (sha256_of(original), first.version_id)
    assert old.retain_until is not None
    assert store.stat("aip-w/mets.xml", version_id=first.version_id) == original.stat().st_size
    with store.open("aip-w/mets.xml", version_id=first.version_id) as reader:
        assert reader.read() == original.read_bytes()
    assert store.stat("aip-w/mets.xml", version_id="no-such-version") is None

    # An unlocked object next to a locked one: deleted; the locked one refused.
    loose = store.put_file("aip-w/loose.txt", original)
    assert loose.retain_until is None
    with pytest.raises(ObjectLockedError):
        store.delete_prefix("aip-w/")
    assert store.stat("aip-w/loose.txt") is None
    assert store.stat("aip-w/mets.xml") is not None


def test_object_lock_needs_the_setting_and_the_bucket(
    seaweed: SeaweedServer, bucket: str, tmp_path: Path
) -> None:
    seaweed.make_bucket(bucket, object_lock=True)
    off = S3Store("s3-off", seaweed.location(bucket, object_lock="off"))
    assert not off.supports_object_lock()
    source = write(tmp_path / "a.txt", b"a")
    stored = off.put_file("aip/a.txt", source, retain_until=datetime.now(UTC) + timedelta(days=1))
    assert stored.retain_until is None
    off.delete("aip/a.txt")  # not locked: deletable
    assert off.stat("aip/a.txt") is None

    plain = S3Store("s3-plain", seaweed.location(f"{bucket}-plain", object_lock="compliance"))
    assert plain.ensure_bucket(object_lock=False) is True
    assert plain.ensure_bucket(object_lock=False) is False
    assert not plain.supports_object_lock()
    locked = S3Store("s3-new", seaweed.location(f"{bucket}-worm", object_lock="governance"))
    assert locked.ensure_bucket(object_lock=True) is True
    assert locked.supports_object_lock()


def test_presigned_url_downloads_the_exact_bytes(store: S3Store, tmp_path: Path) -> None:
    data = os.urandom(70_000)
    store.put_file("aip-p/data/bản gốc.pdf", write(tmp_path / "x.pdf", data))
    name = 'Hồ sơ số 12 - Đề án "mới".pdf'
    url = store.presigned_url("aip-p/data/bản gốc.pdf", 300, download_name=name)
    assert url is not None
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own test server
        assert response.read() == data
        disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + urllib.parse.quote(name, safe="") in disposition
    assert 'filename="Ho so so 12 - De an moi.pdf"' in disposition

    plain = store.presigned_url("aip-p/data/bản gốc.pdf", 60)
    with urllib.request.urlopen(plain, timeout=30) as response:  # noqa: S310
        assert response.read() == data
        assert response.headers.get("Content-Disposition") is None


def test_content_disposition_has_an_ascii_fallback() -> None:
    header = content_disposition('Đơn đề nghị "gấp".pdf')
    assert header == (
        'attachment; filename="Don de nghi gap.pdf"; '
        "filename*=UTF-8''%C4%90%C6%A1n%20%C4%91%E1%BB%81%20ngh%E1%BB%8B%20%22g%E1%BA%A5p%22.pdf"
    )
    assert 'filename="download"' in content_disposition("文書")


def test_server_killed_mid_upload(own_server: SeaweedServer, bucket: str, tmp_path: Path) -> None:
    own_server.make_bucket(bucket)
    store = S3Store(
        "s3-crash", own_server.location(bucket, max_attempts=2, connect_timeout=1, read_timeout=5)
    )
    source = random_file(tmp_path / "big.bin", 16 * MIB)
    second_part, killed = threading.Event(), threading.Event()

    def before_upload_part(params: dict, **_kwargs: object) -> None:  # the API parameters
        if params.get("PartNumber") == 2:
            second_part.set()
            killed.wait(30)  # the server dies while part 2 is about to be sent

    def killer() -> None:
        if second_part.wait(60):
            own_server.kill()
        killed.set()

    store.client.meta.events.register("before-parameter-build.s3.UploadPart", before_upload_part)
    thread = threading.Thread(target=killer)
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(StorageError) as failed:
            store.put_file("aip-k/big.bin", source, sha256=sha256_of(source))
    finally:
        killed.set()
        thread.join()
        store.client.meta.events.unregister("before-parameter-build.s3.UploadPart", before_upload_part)
        own_server.restart()
    assert failed.value.message_key == "storage.unreachable"
    assert own_server.endpoint.split("//")[1] in failed.value.message("en")
    assert time.monotonic() - started < 30

    # After the restart only an incomplete multipart upload is left, which cleanup aborts.
    assert pending_uploads(own_server, bucket) == ["aip-k/big.bin"]
    assert store.cleanup_temporary() == []  # younger than an hour: maybe another ingest's
    assert store.cleanup_temporary(older_than=timedelta(0)) == ["aip-k/big.bin"]
    assert pending_uploads(own_server, bucket) == []
    assert store.stat("aip-k/big.bin") is None
    assert list(store.keys()) == []


def test_stopped_server_is_unreachable_quickly(
    own_server: SeaweedServer, bucket: str, tmp_path: Path
) -> None:
    own_server.make_bucket(bucket)
    store = S3Store("s3-down", own_server.location(bucket, max_attempts=1, connect_timeout=1, read_timeout=2))
    store.put_file("aip-d/a.txt", write(tmp_path / "a.txt", b"abc"))
    own_server.stop()
    try:
        for action in (lambda: store.digest("aip-d/a.txt"), lambda: store.stat("aip-d/a.txt")):
            started = time.monotonic()
            with pytest.raises(StorageError) as down:
                action()
            assert time.monotonic() - started < 5
            assert down.value.message_key == "storage.unreachable"
            message = down.value.message("vi")
            assert "s3-down" in message and "không trả lời" in message
            assert own_server.secret_key not in message
        with pytest.raises(StorageError):
            list(store.keys())
    finally:
        own_server.start()
    assert store.digest("aip-d/a.txt").size == 3


def test_errors_are_located_messages(seaweed: SeaweedServer, bucket: str, tmp_path: Path) -> None:
    source = write(tmp_path / "a.txt", b"a")
    no_bucket = S3Store("s3-nb", seaweed.location(bucket))
    with pytest.raises(StorageError) as missing_bucket:
        no_bucket.put_file("aip/a.txt", source)
    assert missing_bucket.value.message_key == "storage.no_bucket"
    assert bucket in missing_bucket.value.message("en")

    seaweed.make_bucket(bucket)
    wrong = S3Store("s3-wrong", seaweed.location(bucket, secret_key="not-the-secret", max_attempts=1))
    with pytest.raises(StorageError) as denied:
        wrong.put_file("aip/a.txt", source)
    assert denied.value.message_key in ("storage.credentials", "storage.denied")
    assert "not-the-secret" not in denied.value.message("en")


def test_describe_has_no_secret(seaweed: SeaweedServer, bucket: str) -> None:
    location = seaweed.location(bucket, prefix="kho/ban-1")
    store = S3Store("s3-a", location)
    described = store.describe()
    assert described == f"s3://{bucket}/kho/ban-1 @ {seaweed.endpoint}"
    for text in (described, repr(location), repr(store.options)):
        assert seaweed.secret_key not in text
        assert seaweed.access_key not in text
    assert store.kind == "s3"
    assert S3Store("x", location.__class__(bucket="b-c-d")).describe() == "s3://b-c-d/ @ AWS us-east-1"


def test_registry_opens_both_kinds(seaweed: SeaweedServer, bucket: str, tmp_path: Path) -> None:
    s3 = open_store(StorageLocation("s3-a", "s3", None, seaweed.location(bucket)))
    assert isinstance(s3, S3Store) and s3.kind == "s3" and s3.name == "s3-a"
    local = open_store(StorageLocation("local-1", "local", tmp_path / "store"))
    assert isinstance(local, LocalStore) and local.kind == "local"


def test_local_store_speaks_the_extended_protocol(tmp_path: Path) -> None:
    store = LocalStore("local-1", tmp_path / "store")
    source = write(tmp_path / "a.txt", b"abc")
    with pytest.raises(StorageError) as unmounted:  # the root is made by init / add-location, never here
        store.put_file("aip/a.txt", source)
    assert unmounted.value.message_key == "storage.unreachable" and not (tmp_path / "store").exists()
    (tmp_path / "store").mkdir()
    stored = store.put_file("aip/a.txt", source, retain_until=datetime.now(UTC) + timedelta(days=1))
    assert stored.version_id is None and stored.retain_until is None
    assert not store.supports_object_lock()
    assert store.presigned_url("aip/a.txt", 60) is None
    assert store.describe() == str(tmp_path / "store")
    assert store.stat("aip/a.txt", version_id="ignored") == 3
    assert store.digest("aip/a.txt", version_id="ignored").sha256 == hashlib.sha256(b"abc").hexdigest()
    with store.open("aip/a.txt", version_id="ignored") as reader:
        assert reader.read() == b"abc"
    with pytest.raises(StorageError) as missing:
        store.digest("aip/none.txt")
    assert missing.value.message_key == "storage.missing"


def test_parallel_puts_share_one_client(store: S3Store, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sources = [write(tmp_path / f"f{i}.bin", os.urandom(1000 + i)) for i in range(24)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        stored = list(
            pool.map(lambda p: store.put_file(f"aip-par/{p.name}", p, sha256=sha256_of(p)), sources)
        )
    assert [s.sha256 for s in stored] == [sha256_of(p) for p in sources]
    assert len(list(store.keys("aip-par/"))) == 24
    assert store.recorded("aip-par/none") is None


def test_a_stream_cut_off_by_the_server_is_an_os_error(
    own_server: SeaweedServer, bucket: str, tmp_path: Path
) -> None:
    own_server.make_bucket(bucket)
    store = S3Store("s3-cut", own_server.location(bucket, max_attempts=1, connect_timeout=1, read_timeout=2))
    store.put_file("aip-s/big.bin", random_file(tmp_path / "big.bin", 48 * MIB))
    reader = store.open("aip-s/big.bin")
    try:
        assert len(reader.read(MIB)) == MIB
        own_server.kill()
        with pytest.raises(OSError) as cut:  # what code reading any store's stream catches
            while reader.read(MIB):
                pass
        assert isinstance(cut.value, StorageError)
        assert cut.value.message_key == "storage.stream_broken"
    finally:
        reader.close()
        own_server.restart()
