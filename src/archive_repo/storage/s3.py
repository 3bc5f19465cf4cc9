"""A store in an S3 bucket (SeaweedFS, Ceph RGW, MinIO, AWS, …), with end-to-end checksums and object lock.

Keys are stored under the location's ``prefix/`` when it has one. Writing:

* a file up to the part size goes in one ``PutObject`` carrying its SHA-256 (``x-amz-checksum-sha256``):
  the server refuses bytes that do not match (``BadDigest``) and returns the checksum it stored;
* a larger file goes in a multipart upload with a SHA-256 per part, read one part at a time (memory stays
  at about two parts whatever the file size); the server's checksum of the completed object is the
  COMPOSITE one, ``b64(sha256(part digests…))-N``, which is computed here from the same part digests;
* the full SHA-256 and the size are kept as user metadata (``x-amz-meta-sha256``, ``x-amz-meta-size``)
  so any later reader (a fixity audit, a catalog rebuild) can compare without the catalog;
* the caller's expected size and SHA-256 are checked before anything is made visible: a single PUT
  hashes first (the file is at most one part), a multipart upload is aborted instead of completed;
* when the server reports a checksum different from ours, what was written is deleted (unless locked)
  and :class:`StoreIntegrityError` is raised; a server that reports no checksum at all gets the object
  read back and hashed instead.

With ``object_lock`` set to ``compliance`` or ``governance`` and a bucket created with object lock,
``put_file(..., retain_until=…)`` writes the object under retention (WORM): the version cannot be deleted
or changed before then, and :meth:`S3Store.delete` raises :class:`ObjectLockedError`. In a versioned
bucket every write makes a new version; ``version_id`` lets readers name exactly the one ingest wrote.

Every botocore error becomes a :class:`StorageError` with a located message (``storage.unreachable``
when the server does not answer, ``storage.missing``, ``storage.denied``, …), never a traceback. A crash
in the middle of a multipart upload leaves only an incomplete upload, which ``cleanup_temporary`` aborts.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import os
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

from archive_repo.config import S3Location
from archive_repo.hashing import CHUNK
from archive_repo.storage.base import (
    ObjectLockedError,
    StorageError,
    StoredObject,
    StoreIntegrityError,
    check_key,
    check_stored,
)

MIB = 1024 * 1024
MAX_PARTS = 10_000  # the S3 limit on parts of one multipart upload
STALE_UPLOAD = timedelta(hours=1)  # incomplete multipart uploads older than this are crash leftovers
_DELETE_BATCH = 1000  # the S3 limit on keys of one DeleteObjects
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchVersion"}
_CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}
_BAD_DIGEST = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum"}
_NO_LOCK_CONFIGURATION = {"ObjectLockConfigurationNotFoundError", "ObjectLockConfigurationNotFound"}


class S3StreamError(StorageError, OSError):
    """Reading an object's stream failed half-way (connection lost, timeout, short body). Also an
    :class:`OSError`, as stream errors are, so code reading any store's stream catches one kind."""


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def composite_checksum(part_digests: list[bytes]) -> str:
    """The S3 COMPOSITE SHA-256 of a multipart object: base64 of the SHA-256 of the concatenated raw
    part digests, then ``-<number of parts>``."""
    return f"{_b64(hashlib.sha256(b''.join(part_digests)).digest())}-{len(part_digests)}"


def content_disposition(download_name: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 one (RFC 6266 / RFC 5987)."""
    fallback = unicodedata.normalize("NFKD", download_name.replace("đ", "d").replace("Đ", "D"))
    fallback = "".join(
        c for c in fallback.encode("ascii", "ignore").decode("ascii") if c.isprintable() and c not in '"\\'
    )
    fallback = fallback.strip() or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(download_name, safe='')}"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _no_expect_for_empty_body(request: Any, **_kwargs: Any) -> None:
    """Send an empty PUT without ``Expect: 100-continue``: there is no body to wait for, and SeaweedFS
    then leaves the connection so that the next PUT on it hangs until the read timeout."""
    length = request.headers.get("Content-Length")
    if isinstance(length, bytes):
        length = length.decode("ascii", "replace")
    if length is not None and str(length).strip() == "0" and "Expect" in request.headers:
        del request.headers["Expect"]


class _ObjectStream(io.RawIOBase):
    """An object's body as a binary stream (``read(n)``, ``readinto``, ``close``, ``with``), turning
    failures while reading into :class:`S3StreamError`."""

    def __init__(self, body: Any, location: str, key: str) -> None:
        super().__init__()
        self._body = body
        self._location = location
        self._key = key

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._body.read(None if size is None or size < 0 else size)
        except S3StreamError:
            raise
        except Exception as exc:  # botocore, urllib3 and socket errors all end the stream
            raise S3StreamError(
                "storage.stream_broken", location=self._location, key=self._key, detail=str(exc) or repr(exc)
            ) from None

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            try:
                self._body.close()
            finally:
                super().close()


class S3Store:
    """One S3 location. Thread-safe: the boto3 client is made once, under a lock, then shared."""

    kind = "s3"

    def __init__(self, name: str, options: S3Location) -> None:
        self.name = name
        self.options = options
        self.bucket = options.bucket
        self.prefix = options.prefix.strip("/")
        self._base = f"{self.prefix}/" if self.prefix else ""
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._object_lock: bool | None = None

    # ----------------------------------------------------------------------------------------------
    # the client and errors

    @property
    def client(self) -> Any:
        """The boto3 S3 client (made on first use)."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        import boto3
        from botocore.config import Config

        options = self.options
        config = Config(
            region_name=options.region,
            signature_version="s3v4",
            s3={"addressing_style": options.addressing_style},
            retries={"total_max_attempts": options.max_attempts, "mode": "standard"},
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            max_pool_connections=16,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        session = boto3.session.Session()  # its own session: the default one is not thread-safe
        with self._errors("."):
            client = session.client(
                "s3",
                endpoint_url=options.endpoint or None,
                aws_access_key_id=options.access_key,
                aws_secret_access_key=options.secret_key,
                verify=options.verify_tls,
                config=config,
            )
        client.meta.events.register("before-send.s3.PutObject", _no_expect_for_empty_body)
        return client

    def _endpoint(self) -> str:
        """The endpoint for messages, without any user:password part."""
        if not self.options.endpoint:
            return f"AWS {self.options.region}"
        parts = urlsplit(self.options.endpoint)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"{parts.scheme}://{host}{parts.path}".rstrip("/")

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix} @ {self._endpoint()}"

    def _error(self, exc: Exception, key: str) -> StorageError:
        """The :class:`StorageError` saying what ``exc`` (any botocore error) means for ``key``."""
        from botocore.exceptions import (
            ClientError,
            ConnectionError,
            HTTPClientError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        if isinstance(exc, StorageError):
            return exc
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(
                error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
            )
            detail = str(error.get("Message") or code)
            if code in _MISSING:
                return StorageError("storage.missing", location=self.name, key=key)
            if code == "NoSuchBucket":
                return StorageError("storage.no_bucket", location=self.name, bucket=self.bucket)
            if code in _CREDENTIALS:
                return StorageError("storage.credentials", location=self.name, detail=f"{code}: {detail}")
            if code in ("AccessDenied", "403", "Forbidden"):
                return StorageError("storage.denied", location=self.name, key=key, detail=detail)
            if code in _BAD_DIGEST:
                return StoreIntegrityError("storage.bad_digest", location=self.name, key=key)
            return StorageError("storage.s3_error", location=self.name, key=key, code=code, detail=detail)
        if isinstance(exc, ConnectionError | HTTPClientError):
            return StorageError(
                "storage.unreachable", location=f"{self.name} ({self.describe()})", detail=str(exc)
            )
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return StorageError("storage.credentials", location=self.name, detail=str(exc))
        return StorageError(
            "storage.s3_error", location=self.name, key=key, code=type(exc).__name__, detail=str(exc)
        )

    @contextmanager
    def _errors(self, key: str) -> Iterator[None]:
        """Turn botocore errors raised inside into :class:`StorageError` (no traceback for the user)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, key) from None

    @staticmethod
    def _code(exc: Exception) -> str:
        response = getattr(exc, "response", None) or {}
        error = response.get("Error", {})
        return str(error.get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))

    def _full(self, key: str) -> str:
        return self._base + check_key(key)

    def _relative(self, full: str) -> str:
        return full[len(self._base) :]

    # ----------------------------------------------------------------------------------------------
    # bucket and object lock

    def ensure_bucket(self, object_lock: bool = False) -> bool:
        """Create the bucket if it does not exist (with object lock when asked; S3 turns versioning on
        with it); returns whether it was created. An existing bucket is left as it is."""
        from botocore.exceptions import ClientError

        with self._errors("."):
            try:
                self.client.head_bucket(Bucket=self.bucket)
                return False
            except ClientError as exc:
                if self._code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                    raise
            arguments: dict[str, Any] = {"Bucket": self.bucket}
            if object_lock:
                arguments["ObjectLockEnabledForBucket"] = True
            if self.options.region and self.options.region != "us-east-1":
                arguments["CreateBucketConfiguration"] = {"LocationConstraint": self.options.region}
            try:
                self.client.create_bucket(**arguments)
            except ClientError as exc:
                if self._code(exc) in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    return False
                raise
        self._object_lock = None
        return True

    def supports_object_lock(self) -> bool:
        """True when object lock is configured for the location and enabled on the bucket (cached)."""
        from botocore.exceptions import ClientError

        if self.options.object_lock == "off":
            return False
        if self._object_lock is None:
            with self._errors("."):
                try:
                    answer = self.client.get_object_lock_configuration(Bucket=self.bucket)
                    enabled = answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
                except ClientError as exc:
                    if self._code(exc) not in _NO_LOCK_CONFIGURATION:
                        raise
                    enabled = False
            self._object_lock = enabled
        return self._object_lock

    def _lock_arguments(self, retain_until: datetime | None) -> tuple[dict[str, Any], datetime | None]:
        if retain_until is None or not self.supports_object_lock():
            return {}, None
        until = _utc(retain_until)
        if until <= datetime.now(UTC):
            return {}, None
        return {"ObjectLockMode": self.options.object_lock.upper(), "ObjectLockRetainUntilDate": until}, until

    def extend_retention(self, key: str, version_id: str | None, until: datetime) -> datetime | None:
        """Move the object lock of ``key`` (its version ``version_id``) to ``until``; S3 only allows a
        later date. Returns the new date, or None where the store has no object lock."""
        if not self.supports_object_lock():
            return None
        until = _utc(until)
        retention = {"Mode": self.options.object_lock.upper(), "RetainUntilDate": until}
        with self._errors(key):
            self.client.put_object_retention(
                Bucket=self.bucket,
                Key=self._full(key),
                Retention=retention,
                **self._version_argument(version_id),
            )
        return until

    # ----------------------------------------------------------------------------------------------
    # writing

    def _part_size(self, total: int) -> int:
        """The configured part size, raised (in whole MiB) if the file would need more than 10 000 parts."""
        configured = self.options.part_size_mb * MIB
        needed = math.ceil(total / (MAX_PARTS - 1) / MIB) * MIB if total else 0
        return max(configured, needed)

    def put_file(
        self,
        key: str,
        source: Path,
        *,
        size: int | None = None,
        sha256: str | None = None,
        retain_until: datetime | None = None,
    ) -> StoredObject:
        full = self._full(key)
        lock, until = self._lock_arguments(retain_until)
        try:
            reader = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise StorageError("storage.io", location=self.name, key=key, detail=str(exc)) from None
        with reader:
            try:
                total = os.fstat(reader.fileno()).st_size
                part_size = self._part_size(total)
                first = reader.read(part_size)
                more = reader.read(1)
            except OSError as exc:
                raise StorageError("storage.io", location=self.name, key=key, detail=str(exc)) from None
            if not more:
                stored = self._put_single(key, full, first, size, sha256, lock)
            else:
                del first  # read again part by part: never more than one part held here
                try:
                    reader.seek(0)
                except OSError as exc:
                    raise StorageError("storage.io", location=self.name, key=key, detail=str(exc)) from None
                stored = self._put_multipart(key, full, source, reader, part_size, total, size, sha256, lock)
        return StoredObject(key, stored.size, stored.sha256, stored.version_id, until)

    def _put_single(
        self, key: str, full: str, data: bytes, size: int | None, sha256: str | None, lock: dict[str, Any]
    ) -> StoredObject:
        digest = hashlib.sha256(data)
        ours = _b64(digest.digest())
        stored = check_stored(self.name, StoredObject(key, len(data), digest.hexdigest()), size, sha256)
        with self._errors(key):
            answer = self.client.put_object(
                Bucket=self.bucket,
                Key=full,
                Body=data,
                ChecksumSHA256=ours,
                Metadata={"sha256": stored.sha256, "size": str(stored.size)},
                **lock,
            )
        version = self._version(answer)
        self._verify(key, full, version, ours, answer.get("ChecksumSHA256"), stored)
        return StoredObject(key, stored.size, stored.sha256, version)

    def _put_multipart(
        self,
        key: str,
        full: str,
        source: Path,
        reader: BinaryIO,
        part_size: int,
        total: int,
        size: int | None,
        sha256: str | None,
        lock: dict[str, Any],
    ) -> StoredObject:
        # The metadata is given when the upload starts: without an expected SHA-256, hash the file first.
        expected_sha256 = self._local_sha256(key, source) if sha256 is None else sha256.lower()
        expected_size = total if size is None else size
        with self._errors(key):
            upload = self.client.create_multipart_upload(
                Bucket=self.bucket,
                Key=full,
                ChecksumAlgorithm="SHA256",
                Metadata={"sha256": expected_sha256, "size": str(expected_size)},
                **lock,
            )["UploadId"]
        completed = False
        try:
            whole = hashlib.sha256()
            part_digests: list[bytes] = []
            parts: list[dict[str, Any]] = []
            written = 0
            chunk = self._read(reader, part_size, key)
            while chunk:
                number = len(parts) + 1
                whole.update(chunk)
                part_digest = hashlib.sha256(chunk).digest()
                ours = _b64(part_digest)
                with self._errors(key):
                    answer = self.client.upload_part(
                        Bucket=self.bucket,
                        Key=full,
                        UploadId=upload,
                        PartNumber=number,
                        Body=chunk,
                        ChecksumSHA256=ours,
                    )
                theirs = answer.get("ChecksumSHA256")
                if theirs is not None and theirs != ours:
                    raise StoreIntegrityError(
                        "storage.server_checksum", location=self.name, key=key, ours=ours, theirs=theirs
                    )
                part_digests.append(part_digest)
                parts.append({"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": ours})
                written += len(chunk)
                chunk = b""  # let the part go before reading the next one
                chunk = self._read(reader, part_size, key)
            stored = check_stored(
                self.name, StoredObject(key, written, whole.hexdigest()), expected_size, expected_sha256
            )
            with self._errors(key):
                answer = self.client.complete_multipart_upload(
                    Bucket=self.bucket, Key=full, UploadId=upload, MultipartUpload={"Parts": parts}
                )
            completed = True
        finally:
            if not completed:
                self._abort(full, upload)
        version = self._version(answer)
        self._verify(
            key, full, version, composite_checksum(part_digests), answer.get("ChecksumSHA256"), stored
        )
        return StoredObject(key, stored.size, stored.sha256, version)

    def _read(self, reader: BinaryIO, size: int, key: str) -> bytes:
        try:
            return reader.read(size)
        except OSError as exc:
            raise StorageError("storage.io", location=self.name, key=key, detail=str(exc)) from None

    def _local_sha256(self, key: str, source: Path) -> str:
        hasher = hashlib.sha256()
        try:
            with open(source, "rb") as reader:
                while chunk := reader.read(CHUNK):
                    hasher.update(chunk)
        except OSError as exc:
            raise StorageError("storage.io", location=self.name, key=key, detail=str(exc)) from None
        return hasher.hexdigest()

    def _abort(self, full: str, upload: str) -> None:
        """Abort a multipart upload, best effort (a dead server leaves it to ``cleanup_temporary``)."""
        with suppress(Exception):  # the original error is the one to report
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload)

    @staticmethod
    def _version(answer: dict[str, Any]) -> str | None:
        version = answer.get("VersionId")
        return None if version in (None, "", "null") else version

    def _verify(
        self, key: str, full: str, version: str | None, ours: str, theirs: str | None, stored: StoredObject
    ) -> None:
        """Compare the checksum the server reports with ours; discard the object when they differ."""
        if theirs is None:
            with self._errors(key):
                head = self.client.head_object(
                    Bucket=self.bucket, Key=full, ChecksumMode="ENABLED", **self._version_argument(version)
                )
            theirs = head.get("ChecksumSHA256")
        if theirs is None:
            # The server keeps no SHA-256 checksums: read the object back and hash it instead.
            read_back = self.digest(key, version)
            if (read_back.size, read_back.sha256) == (stored.size, stored.sha256):
                return
            theirs = f"{read_back.size} B, {read_back.sha256}"
            ours = f"{stored.size} B, {stored.sha256}"
        elif self._same_checksum(ours, theirs):
            return
        self._discard(full, version)
        raise StoreIntegrityError(
            "storage.server_checksum", location=self.name, key=key, ours=ours, theirs=theirs
        )

    @staticmethod
    def _same_checksum(ours: str, theirs: str) -> bool:
        if ours == theirs:
            return True
        # Some servers leave the "-<parts>" suffix off a composite checksum.
        return "-" in ours and "-" not in theirs and ours.rsplit("-", 1)[0] == theirs

    def _discard(self, full: str, version: str | None) -> None:
        with suppress(Exception):  # locked or unreachable: the mismatch is what to report
            self.client.delete_object(Bucket=self.bucket, Key=full, **self._version_argument(version))

    @staticmethod
    def _version_argument(version_id: str | None) -> dict[str, str]:
        return {"VersionId": version_id} if version_id else {}

    def flush(self, prefix: str) -> None:
        """Nothing to do: an object is durable once its PUT or its multipart upload completed."""

    # ----------------------------------------------------------------------------------------------
    # reading

    def open(self, key: str, version_id: str | None = None) -> BinaryIO:
        full = self._full(key)
        with self._errors(key):
            answer = self.client.get_object(
                Bucket=self.bucket, Key=full, **self._version_argument(version_id)
            )
        return _ObjectStream(answer["Body"], self.name, key)  # type: ignore[return-value]

    def stat(self, key: str, version_id: str | None = None) -> int | None:
        head = self._head(key, version_id)
        return None if head is None else int(head["ContentLength"])

    def _head(self, key: str, version_id: str | None = None) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        full = self._full(key)
        with self._errors(key):
            try:
                return self.client.head_object(
                    Bucket=self.bucket, Key=full, ChecksumMode="ENABLED", **self._version_argument(version_id)
                )
            except ClientError as exc:
                if self._code(exc) in _MISSING:
                    return None
                raise

    def recorded(self, key: str, version_id: str | None = None) -> StoredObject | None:
        """What ``put_file`` recorded with the object (size, and SHA-256 from ``x-amz-meta-sha256``),
        without reading it; None if there is no such object. The SHA-256 is empty when the object was
        written by something else. For a catalog rebuild; a fixity check uses :meth:`digest`."""
        head = self._head(key, version_id)
        if head is None:
            return None
        until = head.get("ObjectLockRetainUntilDate")
        return StoredObject(
            key,
            int(head["ContentLength"]),
            head.get("Metadata", {}).get("sha256", "").lower(),
            self._version(head) or version_id,
            _utc(until) if isinstance(until, datetime) else None,
        )

    def digest(self, key: str, version_id: str | None = None) -> StoredObject:
        full = self._full(key)
        with self._errors(key):
            answer = self.client.get_object(
                Bucket=self.bucket, Key=full, **self._version_argument(version_id)
            )
        hasher = hashlib.sha256()
        size = 0
        with _ObjectStream(answer["Body"], self.name, key) as body:
            while chunk := body.read(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
        until = answer.get("ObjectLockRetainUntilDate")
        return StoredObject(
            key,
            size,
            hasher.hexdigest(),
            self._version(answer) or version_id,
            _utc(until) if isinstance(until, datetime) else None,
        )

    def presigned_url(self, key: str, expires_in: int, download_name: str | None = None) -> str | None:
        parameters: dict[str, Any] = {"Bucket": self.bucket, "Key": self._full(key)}
        if download_name:
            parameters["ResponseContentDisposition"] = content_disposition(download_name)
        with self._errors(key):
            return self.client.generate_presigned_url(
                "get_object", Params=parameters, ExpiresIn=int(expires_in)
            )

    # ----------------------------------------------------------------------------------------------
    # listing and deleting

    def keys(self, prefix: str = "") -> Iterator[str]:
        start = self._base + (check_key(prefix.rstrip("/")) + "/" if prefix.strip("/") else "")
        with self._errors(prefix or "."):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start)
            for page in pages:
                for item in page.get("Contents", []):
                    if not item["Key"].endswith("/"):
                        yield self._relative(item["Key"])

    def prefixes(self) -> Iterator[str]:
        """The top-level folders holding at least one object, except ``_…`` (the repository's own logs)."""
        with self._errors("."):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._base, Delimiter="/"
            )
            for page in pages:
                for common in page.get("CommonPrefixes", []):
                    folder = self._relative(common["Prefix"]).rstrip("/")
                    if not folder or folder.startswith("_"):
                        continue
                    # Some servers (SeaweedFS) keep listing a folder whose objects were all deleted.
                    probe = self.client.list_objects_v2(
                        Bucket=self.bucket, Prefix=common["Prefix"], MaxKeys=1
                    )
                    if probe.get("KeyCount", len(probe.get("Contents", []))):
                        yield folder

    def _versions(self, start: str, exact: str | None = None) -> Iterator[tuple[str, str | None, bool]]:
        """(key, version id, is a delete marker) of every version and delete marker under ``start``
        (of the key ``exact`` only, when given)."""
        from botocore.exceptions import ClientError

        try:
            pages = self.client.get_paginator("list_object_versions").paginate(
                Bucket=self.bucket, Prefix=start
            )
            for page in pages:
                for marker, items in (
                    (False, page.get("Versions", [])),
                    (True, page.get("DeleteMarkers", [])),
                ):
                    for item in items:
                        if exact is None or item["Key"] == exact:
                            yield item["Key"], item.get("VersionId"), marker
        except ClientError as exc:
            if self._code(exc) not in ("NotImplemented", "501"):
                raise
            # A server without versions: the objects themselves.
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start)
            for page in pages:
                for item in page.get("Contents", []):
                    if exact is None or item["Key"] == exact:
                        yield item["Key"], None, False

    def _delete_versions(
        self, versions: list[tuple[str, str | None, bool]], key: str
    ) -> list[tuple[str, str | None]]:
        """Delete the given versions in batches; returns those refused because they are retained."""
        refused: list[tuple[str, str | None]] = []
        for start in range(0, len(versions), _DELETE_BATCH):
            batch = versions[start : start + _DELETE_BATCH]
            objects = [{"Key": k, **({"VersionId": v} if v else {})} for k, v, _marker in batch]
            with self._errors(key):
                answer = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
                )
            for error in answer.get("Errors", []):
                version = error.get("VersionId") or None
                if error.get("Code") == "AccessDenied":
                    refused.append((error["Key"], version))
                elif error.get("Code") not in _MISSING:
                    raise StorageError(
                        "storage.s3_error",
                        location=self.name,
                        key=self._relative(error["Key"]),
                        code=error.get("Code", "?"),
                        detail=error.get("Message", ""),
                    )
        return refused

    def _locked(self, refused: list[tuple[str, str | None]]) -> ObjectLockedError:
        full, version = refused[0]
        until = "?"
        head = None
        with suppress(Exception):  # the refusal is what to report; the date is a detail
            head = self.client.head_object(Bucket=self.bucket, Key=full, **self._version_argument(version))
        if head is not None and isinstance(head.get("ObjectLockRetainUntilDate"), datetime):
            until = _utc(head["ObjectLockRetainUntilDate"]).isoformat()
        if head is not None and head.get("ObjectLockLegalHoldStatus") == "ON":
            until = f"{until} (legal hold)"
        return ObjectLockedError("storage.locked", location=self.name, key=self._relative(full), until=until)

    def delete(self, key: str) -> None:
        """Delete every version of exactly ``key`` (in an unversioned bucket: the object). A retained
        version cannot be deleted: :class:`ObjectLockedError` (the other versions are deleted)."""
        full = self._full(key)
        with self._errors(key):
            versions = list(self._versions(full, exact=full))
        refused = self._delete_versions(versions, key)
        if refused:
            raise self._locked(refused)

    def delete_prefix(self, prefix: str) -> int:
        """Delete every version of every key under the folder ``prefix``; returns how many keys there
        were. Retained versions stay: :class:`ObjectLockedError` once everything else is deleted."""
        start = self._full(prefix.rstrip("/")) + "/"
        with self._errors(prefix):
            versions = list(self._versions(start))
        refused = self._delete_versions(versions, prefix)
        if refused:
            raise self._locked(refused)
        return len({k for k, _version, marker in versions if not marker})

    def cleanup_temporary(self, older_than: timedelta = STALE_UPLOAD) -> list[str]:
        """Abort incomplete multipart uploads under the store's prefix started more than ``older_than``
        ago (younger ones may belong to an ingest running elsewhere); returns their keys."""
        removed: list[str] = []
        limit = datetime.now(UTC) - older_than
        with self._errors("."):
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self._base
            )
            stale = [
                (upload["Key"], upload["UploadId"])
                for page in pages
                for upload in page.get("Uploads", [])
                if not isinstance(upload.get("Initiated"), datetime) or _utc(upload["Initiated"]) <= limit
            ]
            for full, upload in stale:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload)
                removed.append(self._relative(full))
        return removed
