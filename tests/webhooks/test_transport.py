"""The pinned connection: HTTPS to a checked address still sends the name (SNI,
Host) and verifies the certificate for it; answers are read only so far, and a
receiver that drips its answer is cut off."""

import datetime
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from meydan.webhooks import transport
from meydan.webhooks.addresses import Target

NAME = "hooks.example.test"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "cert.pem", folder / "key.pem"


def serve_once(handler) -> int:
    """A one-connection server on loopback running handler(conn); returns its port."""
    listener = socket.create_server(("127.0.0.1", 0))

    def run():
        conn, _ = listener.accept()
        try:
            handler(conn)
        finally:
            conn.close()
            listener.close()

    threading.Thread(target=run, daemon=True).start()
    return listener.getsockname()[1]


def read_request(conn) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )  # fmt: skip
    while len(body) < length:
        body += conn.recv(4096)
    return head


def test_https_to_the_checked_address_sends_the_name_and_verifies_its_certificate(certificate):
    cert, key = certificate
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    seen = {}

    def sni(sock, name, context):
        seen["sni"] = name  # returns None: go on

    server.sni_callback = sni

    def handler(conn):
        with server.wrap_socket(conn, server_side=True) as tls:
            seen["head"] = read_request(tls)
            tls.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")

    port = serve_once(handler)
    client = ssl.create_default_context(cafile=str(cert))
    target = Target("https", NAME, port, "/in", ("127.0.0.1",))
    answer = transport.post(target, b"{}", {}, timeout=2, context=client)
    assert answer.status == 204
    assert seen["sni"] == NAME
    assert f"Host: {NAME}:{port}".encode() in seen["head"]


def test_a_certificate_for_another_name_is_refused(certificate):
    cert, key = certificate
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)

    def handler(conn):
        try:
            with server.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass

    port = serve_once(handler)
    client = ssl.create_default_context(cafile=str(cert))
    target = Target("https", "other.example.test", port, "/", ("127.0.0.1",))
    with pytest.raises(ssl.SSLCertVerificationError):
        transport.post(target, b"{}", {}, timeout=2, context=client)


def test_only_the_start_of_an_answer_is_read_and_kept():
    def handler(conn):
        read_request(conn)
        body = b"x" * 100_000
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    port = serve_once(handler)
    answer = transport.post(Target("http", "127.0.0.1", port, "/", ("127.0.0.1",)), b"{}", {},
                            timeout=2)  # fmt: skip
    assert answer.status == 200 and len(answer.excerpt) == transport.EXCERPT_CHARS


def test_a_receiver_that_drips_its_answer_is_cut_off():
    def handler(conn):
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(40):  # a header line every 0.2 s: each read is in time
            try:
                conn.sendall(b"X-Drip: 1\r\n")
            except OSError:
                return
            time.sleep(0.2)

    port = serve_once(handler)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="no whole answer"):
        transport.post(Target("http", "127.0.0.1", port, "/", ("127.0.0.1",)), b"{}", {},
                       timeout=0.5)  # fmt: skip
    assert time.monotonic() - started < 3
