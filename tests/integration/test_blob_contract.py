"""The blob-store contract: every adapter (memory, filesystem, S3 on a real server) passes it,
and so does the in-process handoff's decorator (application/blobs/handoff.py).

S3 runs on two implementations: the server PICHR_TEST_S3_ENDPOINT names (moto by default,
s3server.py), and s3rver when it is installed (tests/integration/s3rver.py). A case that needs
an S3 operation a server lacks is marked `s3_needs(...)` and skips there with that reason."""

from __future__ import annotations

import hashlib
import io
import os
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import boto3  # type: ignore[import-untyped]
import pytest

from pichr.application.blobs.factory import make_blob_store, parse_endpoint
from pichr.application.blobs.fs import FilesystemBlobStore
from pichr.application.blobs.handoff import HandingOff
from pichr.application.blobs.memory import InMemoryBlobStore
from pichr.application.blobs.multipart import MultipartNotFoundError, PartsMismatchError
from pichr.application.blobs.port import (
    BlobNotFoundError,
    BlobStore,
    BlobStoreUnavailableError,
    BodyLengthError,
)
from pichr.application.blobs.s3 import S3BlobStore
from tests.integration.s3rver import missing_reason, s3rver_script
from tests.integration.s3server import ENDPOINT_ENV, S3Server, require, run_s3_server
from tests.support.hangups import hang_ups

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from pathlib import Path

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
# A call on a dead S3 gives up after one try and the pool's two retries (minio's own pool
# would make six, with back-off between them): an outage is reported, not waited out.
OUTAGE_TRIES = 3


class ChunkedBody:
    """A file-like upload body fed by an iterator: never more than one chunk in memory."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            return self._pending + b"".join(self._chunks)
        if not self._pending:
            self._pending = next(self._chunks, b"")
        out, self._pending = self._pending[:n], self._pending[n:]
        return out


class ClientGoneError(OSError):
    """An OSError from the body: adapters must not mistake it for a store failure."""


def pattern_chunks(count: int, size: int = MiB) -> Iterator[bytes]:
    # Each chunk differs, so a misplaced part or range shows up as wrong bytes.
    for i in range(count):
        yield bytes([i % 251]) * (size - 4) + i.to_bytes(4, "big")


def failing_chunks(good: int, error: BaseException) -> Iterator[bytes]:
    yield from pattern_chunks(good)
    raise error


def read_all(store: BlobStore, key: str, **kwargs: int) -> bytes:
    return b"".join(store.read(key, **kwargs))


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with run_s3_server() as server:
        yield server


@pytest.fixture(scope="session")
def s3rver_server() -> Iterator[S3Server]:
    """s3rver, besides the server of PICHR_TEST_S3_ENDPOINT."""
    if s3rver_script() is None:
        pytest.skip(missing_reason())
    with run_s3_server("s3rver") as server:
        yield server


def s3_store(server: S3Server) -> S3BlobStore:
    # A fresh bucket per store: tests never see each other's keys, and no run sees an old one.
    bucket = f"pichr-test-{uuid.uuid4().hex[:16]}"
    return S3BlobStore(server.endpoint, bucket, server.access_key, server.secret_key)


# The s3 case runs on PICHR_TEST_S3_ENDPOINT's server; the s3rver case on s3rver unless that is it.
S3RVER_CASE = [] if os.environ.get(ENDPOINT_ENV) == "s3rver" else ["s3rver"]


@pytest.fixture(params=["memory", "fs", "s3", *S3RVER_CASE, "handoff"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "memory":
        return InMemoryBlobStore()
    if request.param == "handoff":  # the decorator keeps every blob it may: it changes nothing
        return HandingOff(InMemoryBlobStore(), prefix="")
    if request.param == "fs":
        return FilesystemBlobStore(tmp_path / "blobs")
    server: S3Server = request.getfixturevalue(f"{request.param}_server")
    needs = request.node.get_closest_marker("s3_needs")
    require(server, *(needs.args if needs else ()))
    return s3_store(server)


class TestBlobStoreContract:
    def test_put_then_stat_and_read_return_the_same_bytes(self, store: BlobStore) -> None:
        key = "uploads/2025-11-13/file_abc/image.jpg"
        info = store.put(key, io.BytesIO(b"hello blob"), length=10)
        assert store.put("empty", io.BytesIO(b""), length=0).size == 0
        assert read_all(store, "empty") == b""
        assert (info.key, info.size) == (key, 10)
        assert info.etag
        assert store.stat(key) == info
        assert read_all(store, key) == b"hello blob"

    def test_ranged_reads_return_exactly_the_range(self, store: BlobStore) -> None:
        data = bytes(range(256)) * 40
        store.put("r/blob", io.BytesIO(data))
        assert read_all(store, "r/blob", offset=100, length=1000) == data[100:1100]
        assert read_all(store, "r/blob", offset=10_000) == data[10_000:]
        assert read_all(store, "r/blob", offset=10_000, length=5_000) == data[10_000:]
        assert read_all(store, "r/blob", offset=len(data)) == b""
        assert read_all(store, "r/blob", offset=len(data) + 7, length=3) == b""
        assert read_all(store, "r/blob", offset=5, length=0) == b""
        chunks = list(store.read("r/blob", offset=1, chunk_size=1000))
        assert all(len(c) <= 1000 for c in chunks)
        assert b"".join(chunks) == data[1:]

    def test_reading_a_missing_key_fails_at_the_call(self, store: BlobStore) -> None:
        with pytest.raises(BlobNotFoundError):
            store.read("nope/missing")  # not iterated: the error must come eagerly
        with pytest.raises(BlobNotFoundError):
            store.read("nope/missing", offset=3, length=0)
        with pytest.raises(BlobNotFoundError):
            store.stat("nope/missing")

    def test_delete_removes_and_is_idempotent(self, store: BlobStore) -> None:
        store.delete("never/there")
        store.put("d/blob", io.BytesIO(b"x"))
        store.delete("d/blob")
        store.delete("d/blob")
        with pytest.raises(BlobNotFoundError):
            store.stat("d/blob")
        assert list(store.keys()) == []

    def test_keys_lists_by_string_prefix(self, store: BlobStore) -> None:
        wanted = [
            "t/f1.webp",
            "u/2025-11-13/f1/a.jpg",
            "u/2025-11-13/f2/a.jpg",
            "u/2025-11-14/f3/a",
        ]
        for key in wanted:
            store.put(key, io.BytesIO(key.encode()))
        assert sorted(store.keys()) == wanted
        assert sorted(store.keys("u/")) == wanted[1:]
        assert sorted(store.keys("u/2025-11-1")) == wanted[1:]
        assert sorted(store.keys("u/2025-11-13/")) == wanted[1:3]
        assert sorted(store.keys("u/2025-11-13/f2/a.jpg")) == ["u/2025-11-13/f2/a.jpg"]
        assert list(store.keys("nothing/")) == []

    def test_put_replaces_the_existing_blob(self, store: BlobStore) -> None:
        first = store.put("p/blob", io.BytesIO(b"first"))
        second = store.put("p/blob", io.BytesIO(b"other"))
        assert second.etag != first.etag
        assert store.stat("p/blob") == second
        assert read_all(store, "p/blob") == b"other"

    @pytest.mark.parametrize("good_mib", [0, 3, 10], ids=["at-once", "single-part", "multipart"])
    def test_failing_body_leaves_nothing_and_raises_its_own_error(
        self, store: BlobStore, good_mib: int
    ) -> None:
        store.put("f/keep", io.BytesIO(b"old"))
        before = sorted(store.keys())
        error = ClientGoneError("client went away")
        with pytest.raises(ClientGoneError) as raised:
            store.put("f/new", ChunkedBody(failing_chunks(good_mib, error)))
        assert raised.value is error
        with pytest.raises(ClientGoneError):
            store.put("f/keep", ChunkedBody(failing_chunks(good_mib, ClientGoneError())))
        assert sorted(store.keys()) == before
        assert read_all(store, "f/keep") == b"old"

    @pytest.mark.parametrize("declared_mib", [0, 2, 9, 11], ids=lambda m: f"declared-{m}MiB")
    def test_body_not_matching_its_declared_length_is_refused(
        self, store: BlobStore, declared_mib: int
    ) -> None:
        # The body is 10 MiB: shorter and longer declarations, single-part and multipart.
        store.put("l/keep", io.BytesIO(b"old"))
        for key in ("l/new", "l/keep"):
            with pytest.raises(BodyLengthError):
                store.put(key, ChunkedBody(pattern_chunks(10)), length=declared_mib * MiB)
        assert sorted(store.keys()) == ["l/keep"]
        assert read_all(store, "l/keep") == b"old"

    def test_streamed_put_of_20_mib_stores_every_byte(self, store: BlobStore) -> None:
        info = store.put("big/blob", ChunkedBody(pattern_chunks(20)))
        assert info.size == 20 * MiB
        exact = store.put("big/exact", ChunkedBody(pattern_chunks(20)), length=20 * MiB)
        assert exact.size == 20 * MiB
        assert read_all(store, "big/exact") == read_all(store, "big/blob")
        assert store.stat("big/blob").size == 20 * MiB
        # Across the 8 MiB multipart boundary and into the last chunk.
        expected = b"".join(pattern_chunks(20))
        assert (
            read_all(store, "big/blob", offset=8 * MiB - 10, length=20)
            == expected[8 * MiB - 10 : 8 * MiB + 10]
        )
        assert read_all(store, "big/blob", offset=19 * MiB + 5) == expected[19 * MiB + 5 :]

    @pytest.mark.parametrize("key", ["../x", "a/../../x", "/etc/passwd", "", "a//b", "a/./b"])
    def test_keys_that_are_not_plain_relative_paths_are_rejected(
        self, store: BlobStore, key: str
    ) -> None:
        with pytest.raises(ValueError, match="blob key"):
            store.put(key, io.BytesIO(b"x"))
        with pytest.raises(ValueError, match="blob key"):
            store.stat(key)

    def test_check_passes_on_a_working_store(self, store: BlobStore) -> None:
        store.check()


class TestMultipartContract:
    KEY = "uploads/2025-11-13/file_mp/big.jpg"

    @pytest.mark.s3_needs("ListParts", "ListMultipartUploads")
    def test_parts_sent_in_any_order_join_in_order_into_one_blob(self, store: BlobStore) -> None:
        first, last = b"".join(pattern_chunks(5)), b"tail bytes"
        upload_id = store.initiate_multipart(self.KEY)
        tail = store.upload_part(self.KEY, upload_id, 2, io.BytesIO(last), len(last))
        head = store.upload_part(self.KEY, upload_id, 1, ChunkedBody(pattern_chunks(5)), 5 * MiB)
        assert head.etag == hashlib.md5(first).hexdigest()  # noqa: S324 (S3's etag)
        assert (tail.number, tail.size) == (2, len(last))
        assert store.list_parts(self.KEY, upload_id) == [head, tail]
        assert list(store.keys()) == []  # an open upload is no blob yet
        info = store.complete_multipart(
            self.KEY, upload_id, [(1, head.etag), (2, f'"{tail.etag}"')]
        )
        assert (info.key, info.size) == (self.KEY, 5 * MiB + len(last))
        assert read_all(store, self.KEY) == first + last
        assert list(store.multipart_uploads()) == []
        with pytest.raises(MultipartNotFoundError):
            store.list_parts(self.KEY, upload_id)
        with pytest.raises(MultipartNotFoundError):
            store.complete_multipart(self.KEY, upload_id, [(1, head.etag), (2, tail.etag)])

    @pytest.mark.s3_needs("ListParts")
    def test_a_part_sent_again_replaces_the_earlier_one(self, store: BlobStore) -> None:
        upload_id = store.initiate_multipart(self.KEY)
        old = store.upload_part(self.KEY, upload_id, 1, io.BytesIO(b"old"), 3)
        new = store.upload_part(self.KEY, upload_id, 1, io.BytesIO(b"new!"), 4)
        assert store.list_parts(self.KEY, upload_id) == [new]
        with pytest.raises(PartsMismatchError):
            store.complete_multipart(self.KEY, upload_id, [(1, old.etag)])
        store.complete_multipart(self.KEY, upload_id, [(1, new.etag)])
        assert read_all(store, self.KEY) == b"new!"

    @pytest.mark.s3_needs("ListParts")
    def test_complete_refuses_parts_not_stored_as_named(self, store: BlobStore) -> None:
        upload_id = store.initiate_multipart(self.KEY)
        one = store.upload_part(self.KEY, upload_id, 1, io.BytesIO(b"a"), 1)
        two = store.upload_part(self.KEY, upload_id, 2, io.BytesIO(b"b"), 1)
        for named in (
            [],  # nothing
            [(1, one.etag), (3, two.etag)],  # a part never sent
            [(1, two.etag)],  # another part's etag
            [(2, two.etag), (1, one.etag)],  # out of order
            [(1, one.etag), (1, one.etag)],  # twice
            [(1, one.etag), (2, two.etag)],  # part 1 is under 5 MiB and not the last
        ):
            with pytest.raises(PartsMismatchError):
                store.complete_multipart(self.KEY, upload_id, named)
        assert store.list_parts(self.KEY, upload_id) == [one, two]  # still open, parts kept
        assert list(store.keys()) == []

    @pytest.mark.s3_needs("AbortMultipartUpload", "ListParts", "ListMultipartUploads")
    def test_abort_drops_the_upload_and_is_idempotent(self, store: BlobStore) -> None:
        upload_id = store.initiate_multipart(self.KEY)
        store.upload_part(self.KEY, upload_id, 1, io.BytesIO(b"abc"), 3)
        store.abort_multipart(self.KEY, upload_id)
        store.abort_multipart(self.KEY, upload_id)
        with pytest.raises(MultipartNotFoundError):
            store.list_parts(self.KEY, upload_id)
        with pytest.raises(MultipartNotFoundError):
            store.upload_part(self.KEY, upload_id, 2, io.BytesIO(b"x"), 1)
        assert list(store.multipart_uploads()) == []
        assert list(store.keys()) == []

    @pytest.mark.s3_needs("ListParts")
    def test_failing_or_mis_sized_parts_leave_nothing(self, store: BlobStore) -> None:
        upload_id = store.initiate_multipart(self.KEY)
        error = ClientGoneError("client went away")
        with pytest.raises(ClientGoneError) as raised:
            store.upload_part(
                self.KEY, upload_id, 1, ChunkedBody(failing_chunks(2, error)), 5 * MiB
            )
        assert raised.value is error
        for declared in (MiB - 1, MiB + 1):
            with pytest.raises(BodyLengthError):
                store.upload_part(self.KEY, upload_id, 1, ChunkedBody(pattern_chunks(1)), declared)
        with pytest.raises(ValueError, match="part number"):
            store.upload_part(self.KEY, upload_id, 10_001, io.BytesIO(b"x"), 1)
        assert store.list_parts(self.KEY, upload_id) == []

    @pytest.mark.s3_needs("ListMultipartUploads")
    def test_open_uploads_are_listed_by_prefix_with_their_start(self, store: BlobStore) -> None:
        before = datetime.now(UTC) - timedelta(minutes=1)
        a = store.initiate_multipart("a/one")
        b = store.initiate_multipart("b/two")
        found = {u.upload_id: u for u in store.multipart_uploads()}
        assert {(u.key, u.upload_id) for u in found.values()} == {("a/one", a), ("b/two", b)}
        assert all(u.initiated < before + timedelta(minutes=2) for u in found.values())
        if not isinstance(store, S3BlobStore):  # moto reports a fixed Initiated time (2010)
            assert all(before < u.initiated for u in found.values())
        assert [u.upload_id for u in store.multipart_uploads("b/")] == [b]

    @pytest.mark.s3_needs("ListParts", "NoSuchUpload")
    def test_unknown_upload_ids_are_not_found(self, store: BlobStore) -> None:
        real = store.initiate_multipart(self.KEY)
        cases = [(self.KEY, "NoSuchUpload1234567890")]
        if not isinstance(store, S3BlobStore):  # moto, unlike S3, ignores the key of an upload id
            cases.append(("other/key", real))
        for key, upload_id in cases:
            with pytest.raises(MultipartNotFoundError):
                store.list_parts(key, upload_id)
            with pytest.raises(MultipartNotFoundError):
                store.upload_part(key, upload_id, 1, io.BytesIO(b"x"), 1)

    def test_a_refused_part_reports_the_servers_own_error(self, store: BlobStore) -> None:
        # An upload id no server holds and none can store (s3rver makes it a 255+ character
        # file name, and fails with its own InternalError): the part's error is reported, not
        # what a ListParts asked afterwards answers (s3rver has none: MethodNotAllowed).
        store.initiate_multipart(self.KEY)
        with pytest.raises((MultipartNotFoundError, BlobStoreUnavailableError)) as raised:
            store.upload_part(self.KEY, "u" * 300, 1, io.BytesIO(b"x"), 1)
        assert "MethodNotAllowed" not in str(raised.value)
        assert "NotImplemented" not in str(raised.value)

    def test_entries_carry_size_and_write_time(self, store: BlobStore) -> None:
        before = datetime.now(UTC) - timedelta(minutes=1)
        store.put("e/one", io.BytesIO(b"12345"))
        [entry] = store.entries("e/")
        assert (entry.key, entry.size) == ("e/one", 5)
        assert before < entry.modified < before + timedelta(minutes=2)


def test_fs_and_memory_parts_go_through_the_server(tmp_path: Path) -> None:
    for store in (InMemoryBlobStore(), FilesystemBlobStore(tmp_path)):
        upload_id = store.initiate_multipart("k/x")
        assert store.presigned_part_url("k/x", upload_id, 1, timedelta(hours=1)) is None


def test_fs_staging_is_hidden_from_keys_and_unusable_as_a_key(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    upload_id = store.initiate_multipart("k/x")
    store.upload_part("k/x", upload_id, 1, io.BytesIO(b"abc"), 3)
    assert list(store.keys()) == []
    assert any(tmp_path.iterdir())  # the part is on disk, just not a key
    with pytest.raises(ValueError, match="reserved"):
        store.put(".pichr-multipart/x", io.BytesIO(b"x"))


def test_s3_presigned_part_urls_take_parts_without_our_credentials(s3_server: S3Server) -> None:
    require(s3_server, "ListParts")  # complete_multipart checks the parts it is told of
    store = s3_store(s3_server)
    store.check()
    upload_id = store.initiate_multipart("p/multi")
    bodies = {1: b"".join(pattern_chunks(5)), 2: b"last part"}
    etags = {}
    for number, data in bodies.items():
        url = store.presigned_part_url("p/multi", upload_id, number, timedelta(minutes=5))
        assert url is not None
        assert "X-Amz-Signature" in url
        headers = {"Content-Type": "application/octet-stream"}
        request = urllib.request.Request(url, data=data, method="PUT", headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            etags[number] = response.headers["ETag"]
    store.complete_multipart("p/multi", upload_id, sorted(etags.items()))
    assert read_all(store, "p/multi") == bodies[1] + bodies[2]


def test_fs_failing_put_leaves_no_temp_file_on_disk(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    store.put("f/keep", io.BytesIO(b"old"))
    with pytest.raises(ClientGoneError):
        store.put("f/keep", ChunkedBody(failing_chunks(2, ClientGoneError())))
    # keys() hides temp files by design, so look at the directory itself.
    assert [p.name for p in (tmp_path / "f").iterdir()] == ["keep"]


def test_s3_failing_multipart_put_aborts_its_upload(s3_server: S3Server) -> None:
    require(s3_server, "AbortMultipartUpload", "ListMultipartUploads")
    bucket = f"pichr-test-{uuid.uuid4().hex[:16]}"
    store = S3BlobStore(s3_server.endpoint, bucket, s3_server.access_key, s3_server.secret_key)
    with pytest.raises(ClientGoneError):
        store.put("m/blob", ChunkedBody(failing_chunks(10, ClientGoneError())))
    # keys() cannot see an unfinished multipart upload; its parts would still cost storage.
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{s3_server.endpoint}",
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key,
        region_name="us-east-1",
    )
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_s3_presigned_put_url_uploads_without_our_credentials(s3_server: S3Server) -> None:
    store = s3_store(s3_server)
    store.check()
    url = store.presigned_put_url("p/direct", timedelta(minutes=5))
    # An explicit type: urllib's default (form-urlencoded) makes moto parse and drop the body.
    headers = {"Content-Type": "application/octet-stream"}
    request = urllib.request.Request(url, data=b"direct bytes", method="PUT", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert read_all(store, "p/direct") == b"direct bytes"


def outage_probes(store: S3BlobStore) -> list[Callable[[], object]]:
    return [
        store.check,
        lambda: store.stat("o/blob"),
        lambda: store.read("o/blob"),
        lambda: store.put("o/blob", io.BytesIO(b"during")),
    ]


def test_s3_outage_is_reported_after_a_few_tries_and_the_same_store_recovers() -> None:
    # Its own server: stopping the shared one would break every other S3 test on failure.
    with run_s3_server() as server:
        store = s3_store(server)
        store.put("o/blob", io.BytesIO(b"before"))
        server.stop()
        for probe in outage_probes(store):  # refused: nothing listens
            with pytest.raises(BlobStoreUnavailableError):
                probe()
        with hang_ups(server.port) as dead:  # where the server was: counts the tries
            for probe in outage_probes(store):
                tried = dead.attempts
                with pytest.raises(BlobStoreUnavailableError):
                    probe()
                assert 0 < dead.attempts - tried <= OUTAGE_TRIES
        server.start()
        # A restarted moto is empty: check() (the readiness probe) recreates the bucket.
        store.check()
        store.put("o/blob", io.BytesIO(b"after"))
        assert read_all(store, "o/blob") == b"after"


def make_store(data_dir: Path, endpoint: str | None) -> BlobStore:
    return make_blob_store(
        data_dir=data_dir,
        s3_endpoint=endpoint,
        s3_bucket="b",
        s3_access_key="k",
        s3_secret_key="s",
        s3_region="us-east-1",
        s3_secure=False,
    )


def test_factory_picks_s3_for_an_endpoint_and_the_filesystem_otherwise(tmp_path: Path) -> None:
    fs = make_store(tmp_path, None)
    assert isinstance(fs, FilesystemBlobStore)
    fs.put("a/b", io.BytesIO(b"x"))
    assert (tmp_path / "blobs" / "a" / "b").read_bytes() == b"x"
    assert isinstance(make_store(tmp_path, "minio:9000"), S3BlobStore)
    with pytest.raises(ValueError, match="path"):
        make_store(tmp_path, "http://minio:9000/bucket")


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("minio:9000", ("minio:9000", False)),
        ("http://minio:9000", ("minio:9000", False)),
        ("https://minio:9000/", ("minio:9000", True)),
    ],
)
def test_endpoint_scheme_decides_tls(endpoint: str, expected: tuple[str, bool]) -> None:
    assert parse_endpoint(endpoint, default_secure=False) == expected
