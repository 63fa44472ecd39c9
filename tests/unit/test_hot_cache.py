"""The hot cache of remote blobs: filled while a blob streams, bounded, least recently used out
first, kept across restarts, and never holding what a fill did not finish or a delete dropped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pichr.application.blobs.cached import Cached, evict, filling, local_copy
from pichr.application.blobs.hot_cache import HotCache
from pichr.application.blobs.memory import InMemoryBlobStore


def chunks(data: bytes, size: int = 7) -> Iterator[bytes]:
    return iter([data[i : i + size] for i in range(0, len(data), size)])


def fill(cache: HotCache, key: str, etag: str, data: bytes) -> bytes:
    return b"".join(cache.filling(key, etag, len(data), chunks(data)))


def test_a_blob_streamed_whole_is_kept_under_its_key_and_etag(tmp_path: Path) -> None:
    cache = HotCache(tmp_path, max_bytes=1000)
    assert cache.path("a/1", "e1") is None
    assert fill(cache, "a/1", "e1", b"x" * 50) == b"x" * 50
    found = cache.path("a/1", "e1")
    assert found is not None
    assert found.read_bytes() == b"x" * 50
    assert cache.path("a/1", "e2") is None  # other bytes under the same key: a miss
    assert cache.used == 50


def test_a_fill_cut_short_keeps_nothing(tmp_path: Path) -> None:
    cache = HotCache(tmp_path, max_bytes=1000)
    stream = cache.filling("a/1", "e", 30, chunks(b"y" * 30))
    next(stream)
    stream.close()  # the client went away
    assert cache.path("a/1", "e") is None
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    short = b"".join(cache.filling("a/2", "e", 40, chunks(b"z" * 30)))  # fewer bytes than said
    assert short == b"z" * 30
    assert cache.path("a/2", "e") is None


def test_the_least_recently_used_go_first_when_over_the_cap(tmp_path: Path) -> None:
    cache = HotCache(tmp_path, max_bytes=100, largest=100)
    for name in ("k1", "k2", "k3"):
        fill(cache, name, "e", b"-" * 40)
    assert cache.path("k1", "e") is None  # 120 > 100: the oldest went
    assert cache.path("k2", "e") is not None  # used: now the most recent
    fill(cache, "k4", "e", b"-" * 40)
    assert cache.path("k3", "e") is None
    assert cache.path("k2", "e") is not None
    assert cache.used <= 100


def test_blobs_larger_than_an_entry_may_be_are_passed_on_not_kept(tmp_path: Path) -> None:
    cache = HotCache(tmp_path, max_bytes=800)  # an entry holds at most 800 / 8 bytes
    assert fill(cache, "big", "e", b"b" * 101) == b"b" * 101
    assert cache.path("big", "e") is None
    fill(cache, "small", "e", b"s" * 100)
    assert cache.path("small", "e") is not None


def test_a_restarted_cache_knows_its_entries_and_their_order(tmp_path: Path) -> None:
    first = HotCache(tmp_path, max_bytes=100, largest=100)
    fill(first, "old", "e", b"o" * 40)
    fill(first, "new", "e", b"n" * 40)
    old = first.path("old", "e")
    assert old is not None
    os.utime(old, (1_000_000, 1_000_000))  # used long ago
    (old.parent / ".fill-unfinished").write_bytes(b"half")
    again = HotCache(tmp_path, max_bytes=100, largest=100)
    assert again.used == 80
    assert not (old.parent / ".fill-unfinished").exists()
    fill(again, "third", "e", b"t" * 40)
    assert again.path("old", "e") is None
    assert again.path("new", "e") is not None


def test_evict_drops_every_copy_of_a_key(tmp_path: Path) -> None:
    cache = HotCache(tmp_path, max_bytes=1000)
    fill(cache, "k", "e1", b"1" * 10)
    fill(cache, "k", "e2", b"2" * 10)
    fill(cache, "other", "e1", b"3" * 10)
    cache.evict("k")
    assert (cache.path("k", "e1"), cache.path("k", "e2")) == (None, None)
    assert cache.path("other", "e1") is not None
    assert cache.used == 10


def test_the_cached_store_drops_copies_on_delete_and_put(tmp_path: Path) -> None:
    store = Cached(InMemoryBlobStore(), HotCache(tmp_path, max_bytes=1000))
    store.put("k", _Body(b"abc"), 3)
    kept = b"".join(filling(store, "k", "t", 3, store.read("k")))
    assert kept == b"abc"
    copy = local_copy(store, "k", "t")
    assert copy is not None
    assert Path(copy.path).read_bytes() == b"abc"
    assert copy.location.startswith("cache/")
    store.put("k", _Body(b"new"), 3)
    assert local_copy(store, "k", "t") is None
    b"".join(filling(store, "k", "t", 3, store.read("k")))
    store.delete("k")
    assert local_copy(store, "k", "t") is None
    evict(store, "k")  # nothing left: no error


def test_a_store_without_a_cache_fills_nothing(tmp_path: Path) -> None:
    store = InMemoryBlobStore()
    store.put("k", _Body(b"abc"), 3)
    assert b"".join(filling(store, "k", "t", 3, store.read("k"))) == b"abc"
    assert local_copy(store, "k", "t") is None


@pytest.mark.parametrize("key", ["../x", "a//b", ".pichr-tmp-1/x"])
def test_the_filesystem_store_gives_no_path_for_a_bad_key(tmp_path: Path, key: str) -> None:
    from pichr.application.blobs.fs import FilesystemBlobStore  # noqa: PLC0415

    with pytest.raises(ValueError, match="key"):
        FilesystemBlobStore(tmp_path).local_path(key)


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1, /) -> bytes:
        out, self._data = (self._data, b"") if size < 0 else (self._data[:size], self._data[size:])
        return out
