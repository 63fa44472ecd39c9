"""Multipart uploads on the in-memory event store and blob store: the command side's rules."""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import os
from datetime import timedelta

import pytest
from PIL import Image

from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.multipart.commands import Multipart, MultipartRequest, MultipartView
from pichr.application.multipart.parts import PartChecksums
from pichr.application.uploads.commands import UploadRequest, Uploads
from pichr.application.uploads.guarded import SniffFailedError, TooLargeError
from pichr.domain import ids
from pichr.domain.errors import ConflictError, GoneError, InvalidInputError, NotFoundError
from pichr.domain.files import File
from pichr.domain.principal import Principal
from pichr.domain.uploads import MultipartUpload
from tests.support.builders import memory_app, new_owner

MiB = 1024 * 1024
PART = 5 * MiB
NO_SUMS = PartChecksums()


@functools.cache
def big_png() -> bytes:
    """A real, decodable PNG of noise, a little over 6 MiB (two parts at 5 MiB)."""
    side = 1450
    img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=0)
    return buf.getvalue()


class World:
    def __init__(self) -> None:
        self.app = memory_app()
        self.blobs = InMemoryBlobStore()
        self.uploads = Uploads(self.app, self.blobs)
        self.multipart = Multipart(self.app, self.blobs, self.uploads, timedelta(hours=24))
        self.alice = new_owner()

    def init(self, data: bytes, part_size: int = PART, **fields: object) -> MultipartView:
        req = UploadRequest(filename="big.png", mime="image/png", bytes=len(data), **fields)  # type: ignore[arg-type]
        return self.multipart.init(self.alice, MultipartRequest(req, part_size))

    def send_all(self, view: MultipartView, data: bytes) -> list[tuple[int, str]]:
        named = []
        for number in range(1, view.upload.part_count + 1):
            chunk = data[(number - 1) * view.upload.part_size : number * view.upload.part_size]
            part = self.multipart.store_part(
                self.alice, view.upload.upload_id, number, io.BytesIO(chunk), NO_SUMS
            )
            named.append((number, part.etag))
        return named

    def complete(self, view: MultipartView, named: list[tuple[int, str]]) -> MultipartView:
        u = view.upload
        return self.multipart.complete(self.alice, u.upload_id, u.file_id, None, named)

    def file(self, view: MultipartView) -> File:
        return self.app.load(File, ids.FILE, view.upload.file_id)

    def upload(self, view: MultipartView) -> MultipartUpload:
        return self.app.load(MultipartUpload, ids.UPLOAD, view.upload.upload_id)


@pytest.fixture
def w() -> World:
    return World()


def test_parts_complete_into_an_uploaded_file_that_finalizes(w: World) -> None:
    data = big_png()
    view = w.init(data, title="big one")
    assert view.upload.part_count == 2
    assert [url for _, url in view.part_urls] == [None, None]  # the memory store cannot presign
    assert w.file(view).status == "pending"
    done = w.complete(view, w.send_all(view, data))
    file = w.file(view)
    assert file.status == "uploaded"
    assert file.stored["sha256"] == hashlib.sha256(data).hexdigest()
    assert (file.stored["size"], file.stored["mime"], file.stored_key) == (
        len(data),
        "image/png",
        view.upload.key,
    )
    assert done.upload.result["etag"] == file.stored["etag"]
    assert b"".join(w.blobs.read(view.upload.key)) == data
    w.uploads.finalize(w.alice, view.upload.upload_id, view.upload.file_id, view.upload.key, None)
    assert w.file(view).status == "ready"


def test_complete_twice_gives_the_same_answer(w: World) -> None:
    data = big_png()
    view = w.init(data)
    named = w.send_all(view, data)
    first = w.complete(view, named)
    again = w.complete(view, named)
    assert again.upload.result == first.upload.result
    assert again.position == 0  # nothing new recorded
    with pytest.raises(ConflictError):
        w.multipart.store_part(w.alice, view.upload.upload_id, 1, io.BytesIO(b"x"), NO_SUMS)


@pytest.mark.parametrize(
    ("total", "part_size", "field"),
    [
        (12 * MiB, MiB, "partSize"),  # parts under 5 MiB that are not the only part
        (10_001 * PART, PART, "partSize"),  # more than 10,000 parts
        (PART, 6 * 1024 * MiB, "partSize"),  # over S3's 5 GiB part limit
    ],
)
def test_init_refuses_part_plans_s3_could_not_take(
    w: World, total: int, part_size: int, field: str
) -> None:
    req = UploadRequest(filename="a.png", mime="image/png", bytes=total)
    with pytest.raises((InvalidInputError, TooLargeError)) as raised:
        w.multipart.init(w.alice, MultipartRequest(req, part_size))
    if isinstance(raised.value, InvalidInputError):
        assert raised.value.details["field"] == field
    assert list(w.blobs.multipart_uploads()) == []


def test_a_small_file_may_be_one_part_under_5_mib(w: World) -> None:
    data = big_png()[: 2 * MiB]
    view = w.init(data, part_size=MiB * 3)
    assert view.upload.part_count == 1


def test_init_refuses_more_than_the_plan_allows(w: World) -> None:
    req = UploadRequest(filename="a.png", mime="image/png", bytes=30 * 1000 * 1000)  # free: 20 MB
    with pytest.raises(TooLargeError):
        w.multipart.init(w.alice, MultipartRequest(req, PART))


def test_a_part_of_the_wrong_size_or_number_is_refused_and_not_kept(w: World) -> None:
    data = big_png()
    view = w.init(data)
    uid = view.upload.upload_id
    for number, body in ((1, data[: PART - 1]), (1, data[: PART + 1]), (2, data[PART:-1])):
        with pytest.raises(InvalidInputError):
            w.multipart.store_part(w.alice, uid, number, io.BytesIO(body), NO_SUMS)
    for number in (0, 3, 10_001):
        with pytest.raises(InvalidInputError):
            w.multipart.store_part(w.alice, uid, number, io.BytesIO(b"x"), NO_SUMS)
    assert w.blobs.list_parts(view.upload.key, view.upload.store_upload_id) == []
    assert w.multipart.status(w.alice, uid).parts == []


def test_part_checksums_are_verified_and_a_mismatch_keeps_nothing(w: World) -> None:
    data = big_png()
    view = w.init(data)
    uid, tail = view.upload.upload_id, data[PART:]
    md5_b64 = base64.b64encode(hashlib.md5(tail).digest()).decode()  # noqa: S324 (HTTP's)
    sha_hex = hashlib.sha256(tail).hexdigest()
    sha_b64 = base64.b64encode(hashlib.sha256(tail).digest()).decode()
    wrong = hashlib.sha256(b"other").hexdigest()
    for sums in (PartChecksums(sha256=wrong), PartChecksums(md5=md5_b64, sha256=wrong)):
        with pytest.raises(InvalidInputError):
            w.multipart.store_part(w.alice, uid, 2, io.BytesIO(tail), sums)
    with pytest.raises(InvalidInputError, match="valid checksum"):
        w.multipart.store_part(w.alice, uid, 2, io.BytesIO(tail), PartChecksums(md5="nope"))
    assert w.multipart.status(w.alice, uid).parts == []
    for sums in (
        PartChecksums(md5=md5_b64),
        PartChecksums(sha256=sha_hex),
        PartChecksums(sha256=sha_b64),
    ):
        part = w.multipart.store_part(w.alice, uid, 2, io.BytesIO(tail), sums)
        assert part.sha256 == sha_hex
    [stored] = w.multipart.status(w.alice, uid).parts
    assert (stored.number, stored.size, stored.sha256) == (2, len(tail), sha_hex)


def test_status_lists_arrived_parts_and_what_is_missing(w: World) -> None:
    data = big_png()
    view = w.init(data)
    uid = view.upload.upload_id
    w.multipart.store_part(w.alice, uid, 2, io.BytesIO(data[PART:]), NO_SUMS)
    status = w.multipart.status(w.alice, uid)
    assert [p.number for p in status.parts] == [2]
    assert [n for n, _ in status.part_urls] == [1]
    assert w.upload(view).parts[2]["size"] == len(data) - PART  # PartStored recorded it


@pytest.mark.parametrize("case", ["missing", "misordered", "wrong-etag", "unknown-number"])
def test_complete_refuses_parts_that_do_not_add_up(w: World, case: str) -> None:
    data = big_png()
    view = w.init(data)
    (one, e1), (two, e2) = w.send_all(view, data)
    named = {
        "missing": [(one, e1)],
        "misordered": [(two, e2), (one, e1)],
        "wrong-etag": [(one, e2), (two, e2)],
        "unknown-number": [(one, e1), (two, e2), (3, e2)],
    }[case]
    with pytest.raises(InvalidInputError):
        w.complete(view, named)
    assert w.upload(view).status == "open"
    assert w.file(view).status == "pending"
    assert list(w.blobs.keys()) == []


def test_complete_refuses_a_part_whose_size_does_not_fit_the_declared_total(w: World) -> None:
    data = big_png()
    view = w.init(data)
    u = view.upload
    # A part sent to the store directly (as an S3 client would) with the wrong size.
    short = w.blobs.upload_part(u.key, u.store_upload_id, 2, io.BytesIO(b"tiny"), 4)
    one = w.multipart.store_part(w.alice, u.upload_id, 1, io.BytesIO(data[:PART]), NO_SUMS)
    with pytest.raises(InvalidInputError, match="must have"):
        w.complete(view, [(1, one.etag), (2, short.etag)])
    assert [n for n, _ in w.multipart.status(w.alice, u.upload_id).part_urls] == [2]


def test_joined_bytes_that_break_the_declared_sha256_or_type_reject_the_upload(w: World) -> None:
    data = big_png()
    view = w.init(data, sha256=hashlib.sha256(b"something else").hexdigest())
    with pytest.raises(InvalidInputError, match="sha256"):
        w.complete(view, w.send_all(view, data))
    assert (w.upload(view).status, w.file(view).status) == ("aborted", "rejected")
    assert list(w.blobs.keys()) == []
    not_png = b"\x00" * len(data)
    view = w.init(not_png)
    with pytest.raises(SniffFailedError):
        w.complete(view, w.send_all(view, not_png))
    assert list(w.blobs.keys()) == []


def test_another_account_sees_no_such_upload(w: World) -> None:
    data = big_png()
    view = w.init(data)
    mallory: Principal = new_owner()
    uid, fid = view.upload.upload_id, view.upload.file_id
    for call in (
        lambda: w.multipart.status(mallory, uid),
        lambda: w.multipart.store_part(mallory, uid, 2, io.BytesIO(data[PART:]), NO_SUMS),
        lambda: w.multipart.complete(mallory, uid, fid, None, [(1, "x")]),
        lambda: w.multipart.abort(mallory, uid),
        lambda: w.multipart.status(w.alice, "upl_1111111111111111"),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert w.upload(view).status == "open"


def test_abort_deletes_the_parts_ends_the_file_and_releases_the_quota(w: World) -> None:
    data = big_png()
    view = w.init(data)
    u = view.upload
    w.multipart.store_part(w.alice, u.upload_id, 2, io.BytesIO(data[PART:]), NO_SUMS)
    assert w.uploads.quotas.ledger(str(w.alice.account_id)).used == len(data)
    w.multipart.abort(w.alice, u.upload_id)
    w.multipart.abort(w.alice, u.upload_id)  # twice: the same outcome
    assert w.upload(view).status == "aborted"
    assert (w.file(view).status, w.file(view).purged) == ("abandoned", True)
    assert list(w.blobs.multipart_uploads()) == []
    assert w.uploads.quotas.ledger(str(w.alice.account_id)).used == 0
    with pytest.raises(GoneError):
        w.uploads.finalize(w.alice, u.upload_id, u.file_id, None, None)
    with pytest.raises(ConflictError):
        w.complete(view, [(2, "x")])


def test_abort_after_complete_is_a_conflict(w: World) -> None:
    data = big_png()
    view = w.init(data)
    w.complete(view, w.send_all(view, data))
    with pytest.raises(ConflictError):
        w.multipart.abort(w.alice, view.upload.upload_id)
    assert w.file(view).status == "uploaded"


def test_abort_of_an_upload_whose_file_was_deleted_still_drops_the_parts(w: World) -> None:
    data = big_png()
    view = w.init(data)
    u = view.upload
    w.multipart.store_part(w.alice, u.upload_id, 2, io.BytesIO(data[PART:]), NO_SUMS)
    w.app.change(File, ids.FILE, u.file_id, lambda f: f.delete(actor="key_a"))
    assert w.multipart.abort(w.alice, u.upload_id).status == "aborted"
    assert list(w.blobs.multipart_uploads()) == []
