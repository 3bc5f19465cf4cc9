"""The repository's own trust configuration for signature validation: anchors, intermediates and CRLs
read from a folder the archive controls. Never the operating system's trust store, never the network.

    <folder>/anchors/        root certificates trusted for signatures (National Root CA, Ban Cơ yếu CA, …)
    <folder>/intermediates/  CA certificates that help build paths (not trusted by themselves)
    <folder>/crls/           certificate revocation lists the archive has collected

Certificates may be PEM (one or many per file) or DER; files ending in .pem, .crt, .cer, .der or .crl
are read, anything else (README, .gitkeep) is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from archive_repo.errors import ArchiveRepoError

if TYPE_CHECKING:
    from asn1crypto import crl as asn1_crl
    from asn1crypto import x509 as asn1_x509

CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})
CRL_SUFFIXES = frozenset({".crl", ".pem", ".der"})
_PEM_MARKER = b"-----BEGIN "


class TrustStoreError(ArchiveRepoError):
    """A file in the trust folder cannot be read as what its place says it is."""


@dataclass(frozen=True)
class TrustStore:
    anchors: tuple[x509.Certificate, ...] = ()
    intermediates: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()

    @classmethod
    def load(cls, folder: Path | None) -> TrustStore:
        """Read ``anchors/``, ``intermediates/`` and ``crls/`` under ``folder``; a missing folder (or None)
        is an empty store. Raises TrustStoreError (``trust.unreadable``) for a file that is not valid."""
        if folder is None or not folder.is_dir():
            return cls()
        return cls(
            anchors=tuple(_read_certificates(folder / "anchors")),
            intermediates=tuple(_read_certificates(folder / "intermediates")),
            crls=tuple(_read_crls(folder / "crls")),
        )

    @property
    def is_empty(self) -> bool:
        return not self.anchors

    def anchor_pem_bundle(self) -> bytes:
        """Every anchor as one PEM bundle (for libraries that take a CA file, e.g. signxml)."""
        return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in self.anchors)

    def intermediate_pem_bundle(self) -> bytes:
        return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in self.intermediates)

    # pyHanko works on asn1crypto objects. They are made once per store and reused, because asn1crypto
    # keeps what it has parsed: a large CRL is then decoded once, not once per signature.
    def asn1_anchors(self) -> tuple[asn1_x509.Certificate, ...]:
        return self._asn1[0]

    def asn1_intermediates(self) -> tuple[asn1_x509.Certificate, ...]:
        return self._asn1[1]

    def asn1_crls(self) -> tuple[asn1_crl.CertificateList, ...]:
        return self._asn1[2]

    @cached_property
    def _asn1(self) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
        from asn1crypto import crl as asn1_crl
        from asn1crypto import x509 as asn1_x509

        return (
            tuple(asn1_x509.Certificate.load(der) for der in _ders(self.anchors)),
            tuple(asn1_x509.Certificate.load(der) for der in _ders(self.intermediates)),
            tuple(asn1_crl.CertificateList.load(der) for der in _ders(self.crls)),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable (cryptography's objects are not), for worker processes."""
        return (_from_ders, (_ders(self.anchors), _ders(self.intermediates), _ders(self.crls)))


def _ders(items: tuple[Any, ...]) -> tuple[bytes, ...]:
    return tuple(item.public_bytes(serialization.Encoding.DER) for item in items)


def _from_ders(
    anchors: tuple[bytes, ...], intermediates: tuple[bytes, ...], crls: tuple[bytes, ...]
) -> TrustStore:
    return TrustStore(
        anchors=tuple(x509.load_der_x509_certificate(der) for der in anchors),
        intermediates=tuple(x509.load_der_x509_certificate(der) for der in intermediates),
        crls=tuple(x509.load_der_x509_crl(der) for der in crls),
    )


def _files(folder: Path, suffixes: frozenset[str]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TrustStoreError("trust.unreadable", path=str(path), detail=exc.strerror or str(exc)) from exc


def _read_certificates(folder: Path) -> list[x509.Certificate]:
    certificates: list[x509.Certificate] = []
    for path in _files(folder, CERT_SUFFIXES):
        data = _read(path)
        try:
            if _PEM_MARKER in data:
                found = x509.load_pem_x509_certificates(data)
            else:
                found = [x509.load_der_x509_certificate(data)]
        except ValueError as exc:
            raise TrustStoreError("trust.unreadable", path=str(path), detail=str(exc)) from exc
        if not found:
            raise TrustStoreError("trust.unreadable", path=str(path), detail="no certificate")
        certificates.extend(found)
    return certificates


def _read_crls(folder: Path) -> list[x509.CertificateRevocationList]:
    revocation_lists: list[x509.CertificateRevocationList] = []
    for path in _files(folder, CRL_SUFFIXES):
        data = _read(path)
        try:
            if _PEM_MARKER in data:
                revocation_lists.extend(_load_pem_crls(data))
            else:
                revocation_lists.append(x509.load_der_x509_crl(data))
        except ValueError as exc:
            raise TrustStoreError("trust.unreadable", path=str(path), detail=str(exc)) from exc
    return revocation_lists


def _load_pem_crls(data: bytes) -> list[x509.CertificateRevocationList]:
    """Every ``X509 CRL`` block of a PEM file (cryptography loads only one per call)."""
    end_marker = b"-----END X509 CRL-----"
    blocks = [block + end_marker for block in data.split(end_marker) if b"-----BEGIN X509 CRL-----" in block]
    if not blocks:
        raise ValueError("no X509 CRL block in PEM file")
    return [x509.load_pem_x509_crl(block[block.index(b"-----BEGIN X509 CRL-----") :]) for block in blocks]
