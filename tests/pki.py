"""A throwaway test PKI (RSA-2048, built with ``cryptography``) and helpers that sign PDFs with it.

    root CA ── intermediate CA ── signer, org_signer, revoked_signer (in the CRL), expired_signer, tsa
    other_root ── untrusted_signer                       (a chain nobody trusts)

Keys and certificates are made once per process (``make_pki`` is cached). Certificates are valid from
``EPOCH`` (three years ago) for ten years, except ``expired_signer`` (valid from ``EPOCH`` to two years
ago). ``revoked_signer`` was revoked at ``REVOKED_AT`` (one year ago). CRLs can be issued "as of" any time.
Nothing here touches the network: timestamps come from pyHanko's in-process dummy timestamper.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")

_NOW = datetime.now(UTC).replace(microsecond=0)
EPOCH = _NOW - timedelta(days=3 * 365)  # every certificate starts here
EXPIRED_AT = _NOW - timedelta(days=2 * 365)  # expired_signer's notAfter
REVOKED_AT = _NOW - timedelta(days=365)  # when revoked_signer was revoked
LIFETIME = timedelta(days=10 * 365)
EXPIRED_SIGNING_TIME = EPOCH + timedelta(days=100)  # a moment inside expired_signer's validity


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def cert_der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


@dataclass(frozen=True)
class TestPki:
    __test__ = False  # not a pytest test class, despite the name

    root: Issued
    intermediate: Issued
    signer: Issued
    org_signer: Issued
    revoked_signer: Issued
    expired_signer: Issued
    tsa: Issued
    other_root: Issued
    untrusted_signer: Issued

    def crls(self, at: datetime | None = None) -> list[bytes]:
        """DER CRLs as of ``at`` (default: now): the root's (for the intermediate) and the intermediate's
        (for the end entities; ``revoked_signer`` is listed once ``at`` is past its revocation)."""
        moment = at or datetime.now(UTC)
        return [
            _crl(self.root, [], moment),
            _crl(self.intermediate, [(self.revoked_signer.cert, REVOKED_AT)], moment),
        ]

    def crl_objects(self, at: datetime | None = None) -> list[x509.CertificateRevocationList]:
        return [x509.load_der_x509_crl(der) for der in self.crls(at)]

    def write_trust_dir(self, folder: Path) -> Path:
        """A trust folder as ``TrustStore.load`` reads it: the root as the only anchor."""
        for sub in ("anchors", "intermediates", "crls"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        (folder / "anchors" / "root.pem").write_bytes(self.root.cert_pem())
        (folder / "intermediates" / "intermediate.pem").write_bytes(self.intermediate.cert_pem())
        for name, der in zip(("root", "intermediate"), self.crls(), strict=True):
            (folder / "crls" / f"{name}.crl").write_bytes(der)
        return folder


# --------------------------------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------------------------------


@functools.cache
def _key(label: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str, organisation: str = "Archive Repo Test PKI") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _serial(label: str) -> int:
    return int.from_bytes(label.encode()[:16].ljust(16, b"\0"), "big") >> 1  # stable and unique per label


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,  # nonRepudiation: pyHanko's default signer key usage
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _issue(
    label: str,
    subject: x509.Name,
    issuer: Issued | None,
    *,
    ca: bool = False,
    not_after: datetime | None = None,
    timestamping: bool = False,
) -> Issued:
    key = _key(label)
    signing_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(_serial(label))
        .not_valid_before(EPOCH)
        .not_valid_after(not_after or EPOCH + LIFETIME)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_key_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False
        )
    )
    if timestamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return Issued(builder.sign(signing_key, hashes.SHA256()), key)


def _crl(issuer: Issued, revoked: list[tuple[x509.Certificate, datetime]], at: datetime) -> bytes:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(at - timedelta(minutes=5))
        .next_update(at + timedelta(days=7))
        .add_extension(x509.CRLNumber(int(at.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    )
    for cert, when in revoked:
        if when <= at:
            entry = x509.RevokedCertificateBuilder().serial_number(cert.serial_number).revocation_date(when)
            builder = builder.add_revoked_certificate(
                entry.add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False).build()
            )
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@functools.cache
def make_pki() -> TestPki:
    root = _issue("root", _name("Test Root CA"), None, ca=True)
    intermediate = _issue("intermediate", _name("Test Intermediate CA"), root, ca=True)
    other_root = _issue("other_root", _name("Other Root CA", "Somebody Else"), None, ca=True)
    return TestPki(
        root=root,
        intermediate=intermediate,
        signer=_issue("signer", _name("Nguyễn Văn An", "Sở Nội vụ tỉnh Hà Giang"), intermediate),
        org_signer=_issue(
            "org_signer", _name("Sở Nội vụ tỉnh Hà Giang", "Sở Nội vụ tỉnh Hà Giang"), intermediate
        ),
        revoked_signer=_issue("revoked_signer", _name("Trần Thị Bình (revoked)"), intermediate),
        expired_signer=_issue(
            "expired_signer", _name("Lê Văn Cường (expired)"), intermediate, not_after=EXPIRED_AT
        ),
        tsa=_issue("tsa", _name("Test Time Stamping Authority"), intermediate, timestamping=True),
        other_root=other_root,
        untrusted_signer=_issue("untrusted_signer", _name("Mallory", "Somebody Else"), other_root),
    )


# --------------------------------------------------------------------------------------------------
# PDFs
# --------------------------------------------------------------------------------------------------


def make_unsigned_pdf(path: Path, text: str = "Van ban thu nghiem chu ky so") -> Path:
    """A small valid one-page PDF (the project's own sample writer)."""
    from archive_repo.samples.minimal_pdf import make_pdf

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(make_pdf([text, "So 12/QD-SNV"], seed=text))
    return path


def _asn1_cert(cert: x509.Certificate):  # -> asn1crypto.x509.Certificate
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: rsa.RSAPrivateKey):  # -> asn1crypto.keys.PrivateKeyInfo
    from asn1crypto import keys as asn1_keys

    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return asn1_keys.PrivateKeyInfo.load(der)


def _chain_of(issued: Issued, pki: TestPki) -> list[Issued]:
    """The CA certificates above ``issued`` (embedded in the signature, as real signers do)."""
    if issued is pki.untrusted_signer:
        return [pki.other_root]
    return [pki.intermediate, pki.root]


def timestamper(pki: TestPki, at: datetime | None = None):  # -> pyhanko DummyTimeStamper
    """An in-process TSA using ``pki.tsa``; ``at`` fixes the time it stamps (default: the real now)."""
    from pyhanko.sign.timestamps import DummyTimeStamper

    return DummyTimeStamper(
        tsa_cert=_asn1_cert(pki.tsa.cert),
        tsa_key=_asn1_key(pki.tsa.key),
        certs_to_embed=[_asn1_cert(pki.intermediate.cert), _asn1_cert(pki.root.cert)],
        fixed_dt=at,
    )


def validation_context(pki: TestPki, at: datetime | None = None):  # -> pyhanko ValidationContext
    """Offline: the test root as the only anchor, the test CRLs as of ``at``, never fetching."""
    from pyhanko_certvalidator import ValidationContext

    moment = at or datetime.now(UTC)
    return ValidationContext(
        trust_roots=[_asn1_cert(pki.root.cert)],
        other_certs=[_asn1_cert(pki.intermediate.cert)],
        crls=pki.crls(moment),
        allow_fetching=False,
        revocation_mode="require",
        moment=moment,
    )


def _pdf_signer_class():
    from pyhanko.sign import signers

    class _TimedPdfSigner(signers.PdfSigner):
        """A PdfSigner whose claimed signing time (/M and the signingTime attribute) can be set."""

        signing_time: datetime | None = None

        def init_signing_session(self, pdf_out, existing_fields_only=False):
            session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
            if self.signing_time is not None:
                session.system_time = self.signing_time
            return session

    return _TimedPdfSigner


def sign_pdf(
    source: Path,
    target: Path,
    signer: Issued,
    pki: TestPki,
    *,
    level: str = "B-B",
    field: str = "Signature1",
    timestamp: bool = False,
    signing_time: datetime | None = None,
    pkcs7: bool = False,
) -> Path:
    """Sign ``source`` into ``target`` as an incremental update (so a signed PDF can be signed again).

    ``level``: B-B (no timestamp unless ``timestamp``), B-T (signature timestamp), B-LT (plus a DSS with the
    chain and CRLs, gathered offline), B-LTA (plus a document timestamp). ``signing_time`` is the claimed
    time, and the time every timestamp and CRL is made "as of" (one minute later for timestamps), so an
    expired or later revoked certificate can be used as it was while still good. Only B-LT and B-LTA
    validate the signer while signing (pyHanko needs that to gather the DSS material); B-B and B-T do not,
    so a revoked or expired certificate can still be used. ``pkcs7`` uses the adbe.pkcs7.detached
    sub-filter instead of ETSI.CAdES.detached.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    if level not in LEVELS:
        raise ValueError(f"unknown PAdES level {level!r}; expected one of {LEVELS}")
    long_term = level in ("B-LT", "B-LTA")
    stamp_time = signing_time + timedelta(minutes=1) if signing_time else None
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED if pkcs7 else fields.SigSeedSubFilter.PADES,
        embed_validation_info=long_term,
        use_pades_lta=level == "B-LTA",
        timestamp_field_name=f"{field}-DocTimeStamp" if level == "B-LTA" else None,
        validation_context=validation_context(pki, stamp_time) if long_term else None,
    )
    cms_signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(signer.cert),
        signing_key=_asn1_key(signer.key),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(c.cert) for c in _chain_of(signer, pki)]),
    )
    with_timestamp = timestamp or level != "B-B"
    pdf_signer = _pdf_signer_class()(
        meta, signer=cms_signer, timestamper=timestamper(pki, stamp_time) if with_timestamp else None
    )
    pdf_signer.signing_time = signing_time
    writer = IncrementalPdfFileWriter(io.BytesIO(source.read_bytes()))
    with _quiet_pyhanko():  # "fetching is not allowed" warnings: offline is the point here
        output = pdf_signer.sign_pdf(writer)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(output.getvalue())
    return target


def add_document_timestamp(source: Path, target: Path, pki: TestPki, *, at: datetime | None = None) -> Path:
    """Append a document timestamp (what an archive does to renew B-LTA evidence)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    writer = IncrementalPdfFileWriter(io.BytesIO(source.read_bytes()))
    stamper = signers.PdfTimeStamper(timestamper(pki, at))
    with _quiet_pyhanko():
        output = stamper.timestamp_pdf(writer, "sha256", validation_context=validation_context(pki, at))
    target.write_bytes(output.getvalue())
    return target


@contextlib.contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    logger = logging.getLogger("pyhanko")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


# --------------------------------------------------------------------------------------------------
# Tampering (what the validator must catch)
# --------------------------------------------------------------------------------------------------


def flip_signed_byte(source: Path, target: Path, marker: bytes = b"Van ban") -> Path:
    """Change one byte of the page text, inside the signed byte range (the PDF stays parseable)."""
    data = source.read_bytes()
    at = data.index(marker)
    target.write_bytes(data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :])
    return target


def replace_page_content(source: Path, target: Path, text: str = "Noi dung da bi thay the") -> Path:
    """Append an incremental update that gives page 1 a new content stream: the signed bytes stay
    intact, only the difference analysis can tell."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(source.read_bytes()))
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    content = f"BT /F1 12 Tf 56 780 Td ({text}) Tj ET".encode("latin-1")
    page_ref.get_object()["/Contents"] = writer.add_object(generic.StreamObject(stream_data=content))
    writer.mark_update(page_ref)
    output = io.BytesIO()
    writer.write(output)
    target.write_bytes(output.getvalue())
    return target


def corrupt_signature_contents(source: Path, target: Path) -> Path:
    """Put non-hex characters into the first signature's /Contents (same length, ByteRange unchanged)."""
    data = source.read_bytes()
    at = data.index(b"/Contents <") + len(b"/Contents <") + 40
    target.write_bytes(data[:at] + b"zz" + data[at + 2 :])
    return target


# --------------------------------------------------------------------------------------------------
# The archive's own signing certificate (access copies, certified DIPs)
# --------------------------------------------------------------------------------------------------

ARCHIVE_NAME = "Trung tâm Lưu trữ quốc gia I"


@functools.cache
def archive_signer() -> Issued:
    """The archive's organisation certificate, issued by the test intermediate (so the test root is its
    trust anchor)."""
    pki = make_pki()
    return _issue("archive", _name(ARCHIVE_NAME, "Cục Văn thư và Lưu trữ nhà nước"), pki.intermediate)


def archive_signer_files(folder: Path, passphrase: bytes | None = b"mat-khau-luu-tru") -> Path:
    """``folder/archive.p12``: the archive's key, certificate and CA chain as PKCS#12, encrypted with
    ``passphrase`` (None: not encrypted)."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    pki = make_pki()
    issued = archive_signer()
    encryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "archive.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"archive", issued.key, issued.cert, [pki.intermediate.cert, pki.root.cert], encryption
        )
    )
    return path
