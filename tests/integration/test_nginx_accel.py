"""PICHR_ACCEL_REDIRECT behind Debian's nginx with the snippet of docs/serving.md: the server
decides access and answers X-Accel-Redirect, nginx sends the file (filesystem blobs, and the
hot cache of S3 blobs); what the client sees is what it sees without nginx."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.pg import fresh_database
from tests.integration.s3server import free_port, run_s3_server
from tests.integration.server import (
    PichrServer,
    assert_error,
    image,
    run_server,
    scratch_dir,
    upload,
)

pytestmark = pytest.mark.integration
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
PREFIX = "/_pichr/"
SITE = """
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log;
{user}
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
        }}
{snippet}
    }}
}}
"""


def snippet(data_dir: Path) -> str:
    """The two internal locations of docs/serving.md, for this data dir."""
    text = (Path(__file__).parents[2] / "docs" / "serving.md").read_text()
    body = text.split("```nginx", 1)[1].split("```", 1)[0]
    return body.replace("/var/lib/pichr", str(data_dir))


@contextlib.contextmanager
def nginx(root: Path, upstream: int, data_dir: Path) -> Iterator[str]:
    assert NGINX is not None
    port = free_port()
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read the scratch dirs
    conf = root / "nginx.conf"
    config = SITE.format(root=root, port=port, upstream=upstream, user=user,
                         snippet=snippet(data_dir))  # fmt: skip
    conf.write_text(config)
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(root)], stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited: {proc.stderr.read() if proc.stderr else b''!r}")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(base + "/health", timeout=1)
            return
        time.sleep(0.1)
    raise RuntimeError("nginx did not answer")


@pytest.fixture(scope="module", params=["fs", "s3"])
def behind(request: pytest.FixtureRequest, pg_admin_url: str) -> Iterator[tuple[PichrServer, str]]:
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx; scripts/test.sh does)")
    with contextlib.ExitStack() as stack:
        data_dir = stack.enter_context(scratch_dir("accel"))
        url = stack.enter_context(fresh_database(pg_admin_url))
        s3 = stack.enter_context(run_s3_server()) if request.param == "s3" else None
        server = stack.enter_context(run_server(url, data_dir, s3, PICHR_ACCEL_REDIRECT=PREFIX))
        root = stack.enter_context(scratch_dir("nginx"))
        yield server, stack.enter_context(nginx(root, server.port, data_dir))


def test_nginx_sends_the_file_the_server_allowed(behind: tuple[PichrServer, str]) -> None:
    server, base = behind
    owner = server.new_account()
    data = image(seed=31, size=(80, 60))
    with server.client() as direct, httpx.Client(base_url=base, timeout=15) as proxied:
        made = upload(direct, owner, data)
        url = f"/i/{made.file_id}"
        direct.get(url)  # on S3 the first view fills the hot cache nginx then reads
        handed = direct.get(url)
        assert handed.headers["x-accel-redirect"].startswith(PREFIX)
        assert handed.content == b""
        got = proxied.get(url)
        assert (got.status_code, got.content) == (200, data)
        assert got.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
        assert got.headers["content-type"] == "image/png"
        assert got.headers["cache-control"] == handed.headers["cache-control"]
        assert "x-accel-redirect" not in got.headers
        part = proxied.get(url, headers={"Range": "bytes=3-9"})
        assert (part.status_code, part.content) == (206, data[3:10])
        assert proxied.get(url, headers={"If-None-Match": got.headers["etag"]}).status_code == 304


def test_nginx_sends_nothing_the_server_refused(behind: tuple[PichrServer, str]) -> None:
    server, base = behind
    owner, stranger = server.new_account(), server.new_account()
    with server.client() as direct, httpx.Client(base_url=base, timeout=15) as proxied:
        made = upload(direct, owner, image(seed=32), visibility="private")
        url = f"/i/{made.file_id}"
        assert_error(proxied.get(url, headers=stranger.headers), 404)
        assert proxied.get(url, headers=owner.headers).status_code == 200
        location = direct.get(url, headers=owner.headers).headers["x-accel-redirect"]
        assert proxied.get(location).status_code == 404  # internal: no client reaches it
