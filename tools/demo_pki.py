"""The DEMO PKI the shipped examples are signed with, and the signing itself (PAdES B-B, offline).

    Demo Root CA ── Demo Issuing CA ── Nguyễn Văn An (a person of the agency)
                                    └─ Sở Nội vụ tỉnh Hà Giang (the agency itself)

Reproducible: the RSA-2048 keys were generated once (``python tools/demo_pki.py --new-keys``) and are
committed in ``tools/demo-pki/``; certificates and CRLs are rebuilt from them with fixed names, serials
and dates (RSA PKCS#1 v1.5 signatures are deterministic), and a PDF signed at a fixed time with the same
key is byte-identical on every run. ``python tools/demo_pki.py`` writes the trust folder of the examples.

DEMO ONLY: the private keys are public. Never put this root into a production trust folder.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

KEY_DIR = Path(__file__).resolve().parent / "demo-pki"
NOT_BEFORE = datetime(2023, 1, 1, tzinfo=UTC)  # before the oldest example document (10/01/2023)
NOT_AFTER = datetime(2040, 1, 1, tzinfo=UTC)
CRL_THIS_UPDATE = NOT_BEFORE
CRL_NEXT_UPDATE = NOT_AFTER
KEY_LABELS = ("root", "intermediate", "person", "organisation")
AGENCY = "Sở Nội vụ tỉnh Hà Giang"
DEMO_ORGANISATION = "archive-repo examples (DEMO, NOT FOR PRODUCTION)"

TRUST_README = """\
# Demo trust anchors for the shipped examples

The PDFs of `examples/` are signed with a **demo PKI** made by `tools/demo_pki.py`:

    Demo Root CA — archive-repo examples, NOT FOR PRODUCTION        anchors/demo-root.pem
      └─ Demo Issuing CA — archive-repo examples, NOT FOR PRODUCTION intermediates/demo-intermediate.pem
           ├─ Nguyễn Văn An (Sở Nội vụ tỉnh Hà Giang)               a person signer
           └─ Sở Nội vụ tỉnh Hà Giang                               the organisation signer

`crls/` holds one CRL of each CA, with no revoked certificate, valid until 2040-01-01.

Copy the three folders into a repository's trust folder (`<repository>/trust/`) so that its ingest can
validate the examples' signatures, as the tests do (`tests/helpers.py`, `trust_examples`). Without them
the signatures are INDETERMINATE (no trusted chain): the good examples are still accepted, with warnings.

**Demo only: never put this root into a production trust folder.** Its private key is published in
`tools/demo-pki/`, so anybody can sign anything with it.

Regenerate with `python tools/make_examples.py` (or `python tools/demo_pki.py` for this folder only).
"""

KEYS_README = """\
# Demo PKI keys (published on purpose)

RSA-2048 private keys of the demo PKI that signs the shipped examples (`tools/demo_pki.py`). They are
committed so that `python tools/make_examples.py` reproduces the examples byte for byte.

**Anybody can sign with these keys. Never trust `examples/trust/anchors/demo-root.pem` in production.**
"""


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class DemoPki:
    root: Issued
    intermediate: Issued
    person: Issued
    organisation: Issued

    def crls(self) -> dict[str, bytes]:
        """DER CRLs by file stem: each CA's, listing nothing."""
        return {"demo-root": _crl(self.root), "demo-intermediate": _crl(self.intermediate)}


# --------------------------------------------------------------------------------------------------
# Keys and certificates
# --------------------------------------------------------------------------------------------------


def key_path(label: str) -> Path:
    return KEY_DIR / f"{label}.key.pem"


def generate_keys() -> list[Path]:
    """Make the demo keys (once; they are committed). Refuses to replace existing ones: new keys change
    every signed example and the published anchors."""
    existing = [key_path(label) for label in KEY_LABELS if key_path(label).exists()]
    if existing:
        names = ", ".join(p.name for p in existing)
        raise SystemExit(f"demo keys exist already ({names}); delete them first")
    KEY_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for label in KEY_LABELS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        key_path(label).write_bytes(pem)
        written.append(key_path(label))
    (KEY_DIR / "README.md").write_text(KEYS_README, encoding="utf-8")
    return written


def _load_key(label: str) -> rsa.RSAPrivateKey:
    path = key_path(label)
    if not path.is_file():
        raise SystemExit(f"missing demo key {path}; run `python tools/demo_pki.py --new-keys` once")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SystemExit(f"{path}: not an RSA private key")
    return key


def _name(common_name: str, organisation: str, **extra: str) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        *(x509.NameAttribute(getattr(NameOID, oid), value) for oid, value in extra.items()),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    return x509.Name(attributes)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,  # nonRepudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _issue(
    key: rsa.RSAPrivateKey, subject: x509.Name, serial: int, issuer: Issued | None, *, ca: bool = False
) -> Issued:
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_key_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), False)
    )
    return Issued(builder.sign(signing_key, hashes.SHA256()), key)


@cache
def load_pki() -> DemoPki:
    """The demo PKI rebuilt from the committed keys (the same bytes on every run)."""
    root = _issue(
        _load_key("root"),
        _name("Demo Root CA — archive-repo examples, NOT FOR PRODUCTION", DEMO_ORGANISATION),
        0x01,
        None,
        ca=True,
    )
    intermediate = _issue(
        _load_key("intermediate"),
        _name("Demo Issuing CA — archive-repo examples, NOT FOR PRODUCTION", DEMO_ORGANISATION),
        0x02,
        root,
        ca=True,
    )
    person = _issue(
        _load_key("person"),
        _name("Nguyễn Văn An", AGENCY, STATE_OR_PROVINCE_NAME="Hà Giang", TITLE="Giám đốc"),
        0x1001,
        intermediate,
    )
    organisation = _issue(
        _load_key("organisation"),
        _name(AGENCY, AGENCY, STATE_OR_PROVINCE_NAME="Hà Giang"),
        0x1002,
        intermediate,
    )
    return DemoPki(root, intermediate, person, organisation)


def _crl(issuer: Issued) -> bytes:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(CRL_THIS_UPDATE)
        .next_update(CRL_NEXT_UPDATE)
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False)
    )
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def write_trust_folder(folder: Path, pki: DemoPki | None = None) -> list[Path]:
    """``anchors/``, ``intermediates/`` and ``crls/`` as the repository's TrustStore reads them."""
    pki = pki or load_pki()
    files = {
        folder / "anchors" / "demo-root.pem": pki.root.cert_pem(),
        folder / "intermediates" / "demo-intermediate.pem": pki.intermediate.cert_pem(),
        folder / "README.md": TRUST_README.encode("utf-8"),
    }
    files.update({folder / "crls" / f"{stem}.crl": der for stem, der in pki.crls().items()})
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return sorted(files)


def write_archive_pkcs12(path: Path, archive_name: str, passphrase: bytes) -> Path:
    """A DEMO signing certificate for the archive itself (certified copies and DIPs, TT05 art. 41-42),
    issued by the demo issuing CA with a fresh key, as a PKCS#12 file with its chain."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    pki = load_pki()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    serial = x509.random_serial_number()
    archive = _issue(key, _name(archive_name, archive_name), serial, pki.intermediate)
    data = pkcs12.serialize_key_and_certificates(
        b"archive",
        key,
        archive.cert,
        [pki.intermediate.cert, pki.root.cert],
        serialization.BestAvailableEncryption(passphrase),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------------------------
# Signing PDFs
# --------------------------------------------------------------------------------------------------


def _asn1_cert(cert: x509.Certificate):  # -> asn1crypto.x509.Certificate
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: rsa.RSAPrivateKey):  # -> asn1crypto.keys.PrivateKeyInfo
    from asn1crypto import keys as asn1_keys

    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return asn1_keys.PrivateKeyInfo.load(der)


def reproducible_writer(pdf: bytes, moment: datetime):  # -> IncrementalPdfFileWriter
    """An incremental writer for ``pdf`` that writes no wall-clock time and no random bytes: pyHanko
    stamps /ModDate with the current time and gives the updated file a random second /ID half."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    class _ReproducibleWriter(IncrementalPdfFileWriter):
        def _update_meta(self) -> None:
            super()._update_meta()
            info = self._info.get_object() if self._info is not None else None
            if info is not None and "/ModDate" in info:
                info["/ModDate"] = generic.pdf_date(moment)

    writer = _ReproducibleWriter(io.BytesIO(pdf))
    first, _ = writer.document_id
    second = hashlib.sha256(pdf + moment.isoformat().encode()).digest()[:16]
    writer._document_id = generic.ArrayObject(
        [generic.ByteStringObject(first), generic.ByteStringObject(second)]
    )
    return writer


def sign_pdf(
    pdf: bytes, signer: Issued, moment: datetime, field: str, *, reason: str, location: str = "Hà Giang"
) -> bytes:
    """``pdf`` with one more PAdES B-B signature (ETSI.CAdES.detached, SHA-256), appended as an
    incremental update, claiming ``moment`` as its signing time. No timestamp, no network."""
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    pki = load_pki()
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        tight_size_estimates=True,
    )
    cms_signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(signer.cert),
        signing_key=_asn1_key(signer.key),
        # The issuing CA travels with the signature; the root is the verifier's own trust anchor.
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(pki.intermediate.cert)]),
    )

    class _FixedTimeSigner(signers.PdfSigner):
        def init_signing_session(self, pdf_out, existing_fields_only=False):
            session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
            session.system_time = moment  # /M of the signature dictionary
            return session

    output = _FixedTimeSigner(meta, signer=cms_signer).sign_pdf(reproducible_writer(pdf, moment))
    return output.getvalue()


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-keys", action="store_true", help="generate the demo keys (once)")
    parser.add_argument(
        "--trust",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "examples" / "trust",
        help="trust folder to write (default: examples/trust)",
    )
    parser.add_argument("--archive-p12", type=Path, help="also write a DEMO archive signing certificate here")
    parser.add_argument("--archive-name", default="Trung tâm Lưu trữ lịch sử (DEMO)")
    args = parser.parse_args(argv)
    if args.archive_p12:
        passphrase = os.environ.get("ARCHIVE_REPO_SIGNING_PASSPHRASE", "demo").encode()
        print(f"wrote {write_archive_pkcs12(args.archive_p12, args.archive_name, passphrase)}")
        return 0
    if args.new_keys:
        for path in generate_keys():
            print(f"wrote {path}")
    for path in write_trust_folder(args.trust):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
