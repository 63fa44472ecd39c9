"""Multipart uploads of the filesystem blob store: parts staged in a hidden directory.

Layout: `<root>/.pichr-multipart/<upload id>/key` holds the target key; each part is a file
`<number:05d>-<md5 hex>` (its etag is in its name, so listing needs no reads). A part sent
again is a new file; the older version of the same number is removed once the new one is
durable, and listings pick the newest. `complete` joins the parts into a temp file beside the
target, renames it into place, then removes the staging directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pichr.application.blobs.fs_io import (
    HIDDEN_PREFIX,
    NOT_FOUND,
    WRITE_CHUNK,
    copy_body,
    mapped_errors,
    write_atomically,
)
from pichr.application.blobs.multipart import (
    MultipartNotFoundError,
    OpenMultipart,
    PartInfo,
    bare_etag,
    check_local_upload_id,
    check_part_number,
    parts_to_join,
)
from pichr.application.blobs.port import BlobStoreUnavailableError, Readable, TrackedBody
from pichr.domain import ids

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

STAGING = HIDDEN_PREFIX + "multipart"
_KEY_FILE = "key"


class FsMultipart:
    def __init__(self, root: Path, path_of: Callable[[str], Path]) -> None:
        self._staging = root / STAGING
        self._path_of = path_of  # key -> target path; rejects bad keys

    def initiate(self, key: str) -> str:
        self._path_of(key)
        upload_id = ids.random_token(24)

        def fill(out: BinaryIO) -> None:
            out.write(key.encode())

        write_atomically(self._staging / upload_id, fill, None, key, lambda: _KEY_FILE)
        return upload_id

    def upload_part(
        self, key: str, upload_id: str, number: int, body: Readable, length: int
    ) -> PartInfo:
        check_part_number(number)
        folder = self._folder(key, upload_id)
        tracked = TrackedBody(body, length)
        md5 = hashlib.md5(usedforsecurity=False)
        try:
            path = write_atomically(
                folder,
                lambda out: copy_body(tracked, out, md5.update),
                tracked,
                f"{key} part {number}",
                lambda: f"{number:05d}-{md5.hexdigest()}",
                make_dirs=False,  # aborted meanwhile: never recreate its folder
            )
        except BlobStoreUnavailableError as exc:
            if isinstance(exc.__cause__, FileNotFoundError):
                raise MultipartNotFoundError(upload_id) from exc
            raise
        with mapped_errors(key):
            mine = path.stat().st_mtime_ns
            for older in folder.glob(f"{number:05d}-*"):
                if older != path and older.stat().st_mtime_ns < mine:
                    older.unlink(missing_ok=True)
        return PartInfo(number, tracked.size, md5.hexdigest())

    def list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        newest = _newest(_versions(self._folder(key, upload_id), key))
        return [newest[n][0] for n in sorted(newest)]

    def complete(self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> Path:
        folder = self._folder(key, upload_id)
        versions = _versions(folder, key)
        named = {n: bare_etag(etag) for n, etag in parts}
        # The version the caller named when it is there, else the newest (which then mismatches).
        pick = {n: (v[0], v[1]) for (n, etag), v in versions.items() if named.get(n) == etag}
        chosen_from = _newest(versions) | pick
        chosen = parts_to_join(parts, {n: info for n, (info, _) in chosen_from.items()})
        target = self._path_of(key)

        def join(out: BinaryIO) -> None:
            for part in chosen:
                with chosen_from[part.number][1].open("rb") as source:
                    shutil.copyfileobj(source, out, WRITE_CHUNK)

        path = write_atomically(target.parent, join, None, key, lambda: target.name)
        shutil.rmtree(folder, ignore_errors=True)
        return path

    def abort(self, key: str, upload_id: str) -> None:
        with contextlib.suppress(MultipartNotFoundError):
            shutil.rmtree(self._folder(key, upload_id), ignore_errors=True)

    def uploads(self, prefix: str) -> Iterator[OpenMultipart]:
        try:
            folders = sorted(self._staging.iterdir())
        except OSError as exc:
            if exc.errno in NOT_FOUND:
                return
            raise BlobStoreUnavailableError(f"listing {self._staging}: {exc}") from exc
        for folder in folders:
            with contextlib.suppress(OSError):  # vanished meanwhile, or half-made
                marker = folder / _KEY_FILE
                key = marker.read_text()
                initiated = datetime.fromtimestamp(marker.stat().st_mtime, UTC)
                if key.startswith(prefix):
                    yield OpenMultipart(key, folder.name, initiated)

    def _folder(self, key: str, upload_id: str) -> Path:
        self._path_of(key)
        check_local_upload_id(upload_id)
        folder = self._staging / upload_id
        try:
            found = (folder / _KEY_FILE).read_text()
        except OSError as exc:
            if exc.errno in NOT_FOUND:
                raise MultipartNotFoundError(upload_id) from exc
            raise BlobStoreUnavailableError(f"multipart {upload_id}: {exc}") from exc
        if found != key:
            raise MultipartNotFoundError(upload_id)
        return folder


Version = tuple[PartInfo, Path, int]  # the part, its file, its mtime in ns


def _versions(folder: Path, key: str) -> dict[tuple[int, str], Version]:
    found: dict[tuple[int, str], Version] = {}
    with mapped_errors(key):
        for path in folder.iterdir():
            number, dash, etag = path.name.partition("-")
            if not (dash and number.isdigit()):
                continue  # the key file, temp files
            st = path.stat()
            found[int(number), etag] = (
                PartInfo(int(number), st.st_size, etag),
                path,
                st.st_mtime_ns,
            )
    return found


def _newest(versions: dict[tuple[int, str], Version]) -> dict[int, tuple[PartInfo, Path]]:
    newest: dict[int, Version] = {}
    for (number, _), version in sorted(versions.items()):
        if number not in newest or version[2] >= newest[number][2]:
            newest[number] = version
    return {n: (info, path) for n, (info, path, _) in newest.items()}
