"""What is personal in each event, and how a personal field is sealed (docs/privacy.md).

Personal fields are stored sealed: AES-GCM under a key of the aggregate's data subject (the
account; an anonymous upload: the file itself). The keys live outside the log, in
SUBJECT_KEYS_TABLE; erasing a subject deletes its keys, and its sealed fields then read as
ERASED. Unsealed values (events written before sealing) read as they are.

The cipher is eventsourcing's own AES-GCM strategy (`eventsourcing.cryptography`, on
`cryptography`'s AESGCM): pure computation, no I/O; the keys are looked up by the callers.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

SUBJECT_KEYS_TABLE = "subject_keys"  # not a projection: never rebuilt, backed up as it is
ERASED = "[erased]"
SEAL = "pichr:sealed:v1:"
SEAL_BYTES = b'"' + SEAL.encode()  # how a sealed value starts inside an event's JSON
KEY_BYTES = 32

# topic -> the personal fields ("changes.title": a key of a dict field). "list": a list of
# strings, erased as [ERASED]; "text": a string, erased as ERASED.
PERSONAL: dict[str, dict[str, str]] = {
    "pichr.account.AccountCreated.v1": {"email": "text"},
    "pichr.key.ApiKeyCreated.v1": {"name": "text"},
    "pichr.file.UploadRequested.v1": {
        "filename": "text",
        "title": "text",
        "description": "text",
        "tags": "list",
    },
    "pichr.file.MetadataUpdated.v1": {
        "changes.title": "text",
        "changes.description": "text",
        "changes.tags": "list",
    },
    "pichr.album.AlbumCreated.v1": {"title": "text", "description": "text", "tags": "list"},
    "pichr.album.AlbumUpdated.v1": {
        "changes.title": "text",
        "changes.description": "text",
        "changes.tags": "list",
    },
}
# topic of an aggregate's first event -> the field naming its data subject (None: the
# aggregate is its own subject, e.g. an anonymous upload)
SUBJECT_FIELD: dict[str, str] = {
    "pichr.account.AccountCreated.v1": "account_id",
    "pichr.key.ApiKeyCreated.v1": "account_id",
    "pichr.file.UploadRequested.v1": "owner_id",
    "pichr.album.AlbumCreated.v1": "owner_id",
}
ANONYMOUS = "anonymous:"  # subject of an aggregate without an owner: ANONYMOUS + its UUID

Key = bytes


def subject_of(topic: str, data: Mapping[str, Any], aggregate_id: UUID) -> str:
    """The data subject a new aggregate's key is filed under."""
    field = SUBJECT_FIELD.get(topic)
    owner = data.get(field) if field else None
    return str(owner) if owner else f"{ANONYMOUS}{aggregate_id}"


def new_key() -> Key:
    return base64.b64decode(AESCipher.create_key(KEY_BYTES))


@lru_cache(maxsize=4096)
def _cipher(key: Key) -> AESCipher:
    return AESCipher(Environment(env={AESCipher.CIPHER_KEY: base64.b64encode(key).decode()}))


def forget_ciphers() -> None:
    """Drop the ciphers kept for recent keys (after an erasure: no key outlives its row)."""
    _cipher.cache_clear()


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SEAL)


def seal_value(key: Key, value: Any) -> str:
    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return SEAL + base64.b64encode(_cipher(key).encrypt(plain)).decode()


def open_value(key: Key | None, value: str, kind: str) -> Any:
    """The plaintext; the erased marker when the key is gone or is not the one it was sealed
    with (a key made again after an erasure opens nothing of before)."""
    erased = [ERASED] if kind == "list" else ERASED
    if key is None:
        return erased
    try:
        return json.loads(_cipher(key).decrypt(base64.b64decode(value[len(SEAL) :])))
    except ValueError:
        return erased


def _paths(topic: str) -> dict[str, str]:
    return PERSONAL.get(topic, {})


def seal(topic: str, data: dict[str, Any], key: Callable[[], Key]) -> dict[str, Any]:
    """A copy of an event's fields with its personal fields sealed (`key()` is called only when
    one is present). Non-personal topics come back unchanged (the same dict)."""
    paths = _paths(topic)
    if not paths:
        return data
    out = dict(data)
    for path in paths:
        head, _, sub = path.partition(".")
        if sub:
            inner = out.get(head)
            if isinstance(inner, dict) and inner.get(sub) is not None:
                inner = out[head] = dict(inner)
                inner[sub] = seal_value(key(), inner[sub])
        elif out.get(head) is not None:  # always sealed, even what a user typed to look sealed
            out[head] = seal_value(key(), out[head])
    return out


def open_sealed(topic: str, data: dict[str, Any], key: Callable[[], Key | None]) -> dict[str, Any]:
    """The event's fields with sealed values opened, in place (ERASED when the key is gone)."""
    for path, kind in _paths(topic).items():
        head, _, sub = path.partition(".")
        holder = data.get(head) if sub else data
        name = sub or head
        if isinstance(holder, dict) and is_sealed(holder.get(name)):
            holder[name] = open_value(key(), holder[name], kind)
    return data


def needs_key(topic: str, state: bytes) -> bool:
    """Whether a stored event's JSON holds a sealed value (a bytes search, no decoding)."""
    return topic in PERSONAL and SEAL_BYTES in state
