"""TLS over loopback: a trustme-certified TLS front of the simulator; verification on by default, CA bundle configurable."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from canary_tui.mission.client import MissionClient
from canary_tui.mission.errors import TLSError


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes one way until EOF."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


@pytest.fixture
async def tls_front(simulator, tmp_path) -> AsyncIterator[tuple[str, str]]:
    """(https URL of a TLS proxy in front of the simulator, path of the CA bundle that signed it)."""
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_ctx)
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    upstream_port = int(simulator.url.rsplit(":", 1)[1])
    tasks: set[asyncio.Task] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    yield f"https://127.0.0.1:{port}", str(ca_path)
    server.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await server.wait_closed()


async def test_https_with_the_configured_ca_bundle_works(tls_front) -> None:
    url, ca_path = tls_front
    async with MissionClient(url, verify=ca_path) as client:
        hb = await client.heartbeat()
    assert hb.status.value == "ok"


async def test_untrusted_certificate_is_a_tls_error_by_default(tls_front) -> None:
    url, _ = tls_front
    async with MissionClient(url) as client:
        with pytest.raises(TLSError) as info:
            await client.heartbeat()
    assert info.value.kind == "tls" and "certificate" in str(info.value).lower()


async def test_a_different_ca_is_a_tls_error(tls_front, tmp_path) -> None:
    url, _ = tls_front
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    async with MissionClient(url, verify=str(other)) as client:
        with pytest.raises(TLSError):
            await client.heartbeat()


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
async def test_the_environments_ca_is_trusted_by_default(tls_front, tmp_path, monkeypatch, variable) -> None:
    """SSL_CERT_FILE / SSL_CERT_DIR name the trust store, as for the user's other tools (the default, verify=True)."""
    url, ca_path = tls_front
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # it wins over SSL_CERT_DIR; a machine may set it
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    if variable == "SSL_CERT_DIR":
        certs = tmp_path / "certs"
        certs.mkdir()
        subject_hash = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", ca_path],
                                      capture_output=True, text=True, check=True).stdout.strip()
        (certs / f"{subject_hash}.0").write_bytes(Path(ca_path).read_bytes())
        monkeypatch.setenv(variable, str(certs))
    else:
        monkeypatch.setenv(variable, ca_path)
    async with MissionClient(url) as client:
        hb = await client.heartbeat()
    assert hb.status.value == "ok"
