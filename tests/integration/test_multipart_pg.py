"""Multipart on the real PostgreSQL and filesystem blobs: parts arriving in parallel."""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.multipart.commands import Multipart, MultipartRequest
from pichr.application.multipart.parts import PartChecksums
from pichr.application.store.app import PichrApplication
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.domain import ids
from pichr.domain.principal import Principal
from pichr.domain.uploads import MultipartUpload
from pichr.scripts.bootstrap import ensure_all
from tests.integration.helpers import make_app
from tests.integration.multipart_helpers import PART
from tests.support.builders import SCOPES

pytestmark = pytest.mark.integration
PARTS = 6


@pytest.fixture
def app(database_url: str) -> Iterator[PichrApplication]:
    ensure_all(database_url)
    application = make_app(database_url, pool_size=PARTS + 2)
    yield application
    application.close()


def test_parts_sent_in_parallel_are_all_recorded_and_join(
    app: PichrApplication, tmp_path: Path
) -> None:
    blobs = FilesystemBlobStore(tmp_path / "blobs")
    uploads = Uploads(app, blobs)
    multipart = Multipart(app, blobs, uploads, timedelta(hours=1))
    who = Principal("usr_" + "2" * 20, "key_" + "2" * 20, SCOPES, plan="enterprise")
    total = PARTS * PART
    view = multipart.init(who, MultipartRequest(UploadRequest("x.png", "image/png", total), PART))
    bodies = {n: bytes([n]) * PART for n in range(1, PARTS + 1)}
    bodies[1] = b"\x89PNG\r\n\x1a\n" + bodies[1][8:]  # sniffed at complete; not decoded

    def send(number: int) -> tuple[int, str]:
        uid = view.upload.upload_id
        part = multipart.store_part(who, uid, number, io.BytesIO(bodies[number]), PartChecksums())
        return number, part.etag

    with ThreadPoolExecutor(PARTS) as pool:
        named = sorted(pool.map(send, bodies))
    recorded = app.load(MultipartUpload, ids.UPLOAD, view.upload.upload_id)
    assert sorted(recorded.parts) == list(range(1, PARTS + 1))  # no PartStored was lost
    done = multipart.complete(who, view.upload.upload_id, view.upload.file_id, None, named)
    assert done.upload.result["size"] == total
    joined = b"".join(blobs.read(view.upload.key))
    assert joined == b"".join(bodies[n] for n in sorted(bodies))
