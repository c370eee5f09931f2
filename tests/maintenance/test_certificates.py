"""The certificate built-in on real certificates made here with `cryptography`: an expiring
leaf, an expiring intermediate behind a valid leaf, a renewal that should have happened, and
an https endpoint on loopback that redirects to one with an expiring certificate."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from opsbook.maintenance.certificate_task import certificate_findings, check_certificates
from opsbook.maintenance.certificates import Level
from opsbook.maintenance.tasks import task_specs
from opsbook.runbook.parser import parse_runbook

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@dataclass
class Made:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def make(
    name: str,
    *,
    issuer: Made | None,
    days_used: float,
    days_left: float,
    ca: bool = False,
) -> Made:
    """Make a certificate valid from `days_used` before NOW to `days_left` after it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=days_used))
        .not_valid_after(NOW + timedelta(days=days_left))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name), x509.DNSName("localhost")]),
            critical=False,
        )
    signer = issuer.key if issuer else key
    return Made(builder.sign(signer, hashes.SHA256()), key)


@pytest.fixture(scope="module")
def root() -> Made:
    return make("Test Root CA", issuer=None, days_used=400, days_left=3000, ca=True)


def _findings(targets: list[str], folder: Path) -> list[tuple[str, str, Level, int]]:
    found, problems = certificate_findings(
        targets, folder=folder, now=NOW, warning_days=30, critical_days=7
    )
    assert problems == []
    return [(f.role, f.subject, f.level, round(f.days_left)) for f in found]


def test_an_expiring_leaf_is_named_with_its_days_left(tmp_path: Path, root: Made) -> None:
    leaf = make("shop.example", issuer=root, days_used=85, days_left=5)
    (tmp_path / "shop.pem").write_bytes(leaf.pem() + root.pem())
    assert _findings(["shop.pem"], tmp_path) == [
        ("leaf", "shop.example", Level.CRITICAL, 5),
        ("root", "Test Root CA", Level.OK, 3000),
    ]


def test_an_expiring_intermediate_behind_a_valid_leaf(tmp_path: Path, root: Made) -> None:
    middle = make("Test Intermediate", issuer=root, days_used=700, days_left=20, ca=True)
    leaf = make("api.example", issuer=middle, days_used=10, days_left=80)
    (tmp_path / "api.pem").write_bytes(leaf.pem() + middle.pem())
    assert _findings(["api.pem"], tmp_path) == [
        ("leaf", "api.example", Level.OK, 80),
        ("intermediate 1", "Test Intermediate", Level.WARNING, 20),
    ]


def test_a_renewal_that_should_have_happened(tmp_path: Path, root: Made) -> None:
    # 90 days' lifetime, 70 used: well before the warning days, but renewal is broken.
    leaf = make("late.example", issuer=root, days_used=70, days_left=20)
    (tmp_path / "late.pem").write_bytes(leaf.pem())
    found, _ = certificate_findings(
        ["late.pem"], folder=tmp_path, now=NOW, warning_days=14, critical_days=3
    )
    assert [(f.level, round(f.days_left)) for f in found] == [(Level.RENEWAL_LATE, 20)]
    assert "past two thirds of its lifetime" in found[0].message


def test_a_file_that_is_not_a_certificate_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_text("hello")
    found, problems = certificate_findings(
        ["junk.pem", "absent.pem"], folder=tmp_path, now=NOW, warning_days=30, critical_days=7
    )
    assert found == []
    assert problems[0].endswith("junk.pem: holds no PEM certificate")
    assert "absent.pem: cannot read" in problems[1]


class _Handler(http.server.BaseHTTPRequestHandler):
    redirect_to = ""

    def do_GET(self) -> None:
        if self.redirect_to:
            self.send_response(301)
            self.send_header("Location", self.redirect_to)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def serve_tls(
    folder: Path, name: str, chain: bytes, key: Made, redirect: str = ""
) -> Iterator[str]:
    """Serve https on loopback with this chain; yield its URL."""
    cert_file, key_file = folder / f"{name}.pem", folder / f"{name}.key"
    cert_file.write_bytes(chain)
    key_file.write_bytes(
        key.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    handler = type(f"Handler_{name}", (_Handler,), {"redirect_to": redirect})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.process  # real TLS servers on loopback
def test_an_https_endpoint_that_redirects_to_one_with_an_expiring_certificate(
    tmp_path: Path, root: Made
) -> None:
    middle = make("Edge Intermediate", issuer=root, days_used=100, days_left=900, ca=True)
    expiring = make("old.localhost", issuer=middle, days_used=88, days_left=2)
    valid = make("www.localhost", issuer=middle, days_used=5, days_left=85)
    with serve_tls(tmp_path, "old", expiring.pem() + middle.pem(), expiring) as old_url:
        target = old_url + "health?x=1"
        with serve_tls(tmp_path, "www", valid.pem() + middle.pem(), valid, target) as www_url:
            found, problems = certificate_findings(
                [www_url], folder=tmp_path, now=NOW, warning_days=30, critical_days=7
            )
            assert problems == []
            assert [(f.source, f.role, f.subject, f.level, round(f.days_left)) for f in found] == [
                (www_url, "leaf", "www.localhost", Level.OK, 85),
                (www_url, "intermediate 1", "Edge Intermediate", Level.OK, 900),
                (target, "leaf", "old.localhost", Level.CRITICAL, 2),
                (target, "intermediate 1", "Edge Intermediate", Level.OK, 900),
            ]
            # As the built-in task reports it: failed, the worst first, named, days left.
            book = parse_runbook(
                "# X\n\n### Regular Maintenance Tasks\n\n"
                "| Task | Frequency | Owner | Last Completed | Next Due | Targets |\n"
                "|---|---|---|---|---|---|\n"
                f"| Certificate expiry | Daily | sec | | | `{www_url}` |\n"
            )
            (spec,) = task_specs(book)
            outcome = check_certificates(spec, {}, tmp_path, NOW)
            assert not outcome.ok
            first = outcome.detail.splitlines()[0]
            assert first.startswith('CRITICAL: 2.0 days left: leaf "old.localhost"')
            assert target in first
