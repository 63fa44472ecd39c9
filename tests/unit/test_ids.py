"""Public ids: reversible, prefixed, and nothing malformed resolves to an aggregate."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from pichr.domain import ids


@pytest.mark.parametrize("prefix", [ids.FILE, ids.UPLOAD, ids.ACCOUNT, ids.KEY, ids.ALBUM])
def test_public_id_roundtrips_to_the_same_uuid(prefix: str) -> None:
    for _ in range(200):
        uuid = uuid4()
        public = ids.to_public(prefix, uuid)
        assert public.startswith(prefix)
        assert ids.to_uuid(prefix, public) == uuid


@pytest.mark.parametrize("number", [0, 1, 57, 58, (1 << 128) - 1])
def test_extreme_uuids_roundtrip(number: int) -> None:
    uuid = UUID(int=number)
    assert ids.to_uuid(ids.FILE, ids.to_public(ids.FILE, uuid)) == uuid


def test_random_part_is_url_safe_base58_of_at_least_96_bits() -> None:
    public = ids.to_public(ids.FILE, UUID(int=(1 << 128) - 1))
    body = public.removeprefix(ids.FILE)
    assert set(body) <= set(ids.ALPHABET)
    assert not set(body) & set("0OIl+/=")
    assert len(body) == 22  # 58**22 > 2**128 > 58**21


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "file_",  # no random part
        "usr_3yQ",  # another kind's prefix
        "file3yQ",  # prefix without underscore
        "file_0OIl",  # characters outside base58
        "file_abc/def",
        "file_" + "z" * 24,  # too long
        "file_" + "z" * 23,  # 23 chars but above 2**128
        " file_3yQ",
        "FILE_3yQ",
    ],
)
def test_malformed_ids_are_rejected(bad: str) -> None:
    with pytest.raises(ids.InvalidIdError):
        ids.to_uuid(ids.FILE, bad)


def test_invalid_id_error_is_a_value_error() -> None:
    assert issubclass(ids.InvalidIdError, ValueError)


def test_random_tokens_are_base58_and_distinct() -> None:
    tokens = {ids.random_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) == 32 and set(t) <= set(ids.ALPHABET) for t in tokens)
