"""Where certificates are read: PEM files (every certificate in them) and TLS endpoints
(every certificate the server presents, at every hop of an https URL's redirects).

An endpoint is read without verifying it: an expired or self-signed certificate is exactly
what this check must be able to see. Nothing read is trusted; it is only measured.
"""

from __future__ import annotations

import http.client
import ssl
from datetime import UTC
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from cryptography import x509
from cryptography.x509.oid import NameOID

from opsbook.maintenance.certificates import CertInfo

MAX_HOPS = 10
MAX_PEM_BYTES = 1 << 20


class CertificateError(Exception):
    """A certificate source could not be read; the message names it."""


def info_of(cert: x509.Certificate, source: str, position: int) -> CertInfo:
    """Return what the check needs of a parsed certificate."""
    return CertInfo(
        source=source,
        position=position,
        subject=_name(cert.subject),
        issuer=_name(cert.issuer),
        not_before=cert.not_valid_before_utc.astimezone(UTC),
        not_after=cert.not_valid_after_utc.astimezone(UTC),
        serial=cert.serial_number,
    )


def _name(name: x509.Name) -> str:
    common = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(common[0].value) if common else name.rfc4514_string()


def read_pem_file(path: Path) -> list[CertInfo]:
    """Return every certificate of a PEM file, in order (leaf first, as servers send them)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PEM_BYTES + 1)
    except OSError as exc:
        raise CertificateError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_PEM_BYTES:
        raise CertificateError(f"{path}: larger than {MAX_PEM_BYTES} bytes; not a certificate")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateError(f"{path}: holds no PEM certificate") from None
    return [info_of(cert, str(path), index) for index, cert in enumerate(certs)]


def read_endpoint(url: str, *, timeout: float = 10.0) -> list[list[CertInfo]]:
    """Return the chain presented at each hop of an https URL, following its redirects."""
    chains: list[list[CertInfo]] = []
    seen: set[str] = set()
    while True:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise CertificateError(f"{url}: not an https URL")
        if url in seen or len(chains) >= MAX_HOPS:
            raise CertificateError(f"{url}: redirects go round or past {MAX_HOPS} hops")
        seen.add(url)
        chain, location = _hop(url, parts.hostname, parts.port or 443, timeout)
        chains.append(chain)
        if location is None:
            return chains
        following = urljoin(url, location)
        if urlsplit(following).scheme != "https":
            return chains  # a redirect off TLS has no certificate to check
        url = following


def _hop(url: str, host: str, port: int, timeout: float) -> tuple[list[CertInfo], str | None]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    try:
        connection.connect()
        sock = connection.sock
        assert isinstance(sock, ssl.SSLSocket)
        der = _presented(sock)
        path = urlsplit(url).path or "/"
        query = urlsplit(url).query
        connection.request("GET", path + (f"?{query}" if query else ""), headers={"Host": host})
        response = connection.getresponse()
        location = response.getheader("Location") if 300 <= response.status < 400 else None
        response.read(65536)
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        raise CertificateError(f"{url}: {exc}") from None
    finally:
        connection.close()
    certs = [x509.load_der_x509_certificate(item) for item in der]
    return [info_of(cert, url, index) for index, cert in enumerate(certs)], location


def _presented(sock: ssl.SSLSocket) -> list[bytes]:
    """Return the DER of every certificate the server sent, leaf first."""
    public = getattr(sock, "get_unverified_chain", None)  # Python 3.13
    if public is not None:
        return [bytes(item) for item in public()]
    inner = getattr(sock, "_sslobj", None)
    private = getattr(inner, "get_unverified_chain", None)  # Python 3.10-3.12
    if private is not None:
        return [item.public_bytes(ssl._ssl.ENCODING_DER) for item in private()]  # type: ignore[attr-defined]
    leaf = sock.getpeercert(binary_form=True)
    if leaf is None:
        raise CertificateError("the server presented no certificate")
    return [leaf]
