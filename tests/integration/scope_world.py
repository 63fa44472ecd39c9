"""The scope matrix's world on a live server: two enterprise accounts with a key per scope, bad
keys, and the owner's files, albums, uploads and reports in every state the matrix asks about.

Everything is made through the API with the owner's admin key (one CLI call makes that key), so
setting up costs seconds. `fresh_*` make a target of their own for a cell that may use it up.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.integration.scope_keys import bad_keys
from tests.integration.scope_rules import ADMIN, CALLERS, READ
from tests.integration.server import PichrServer
from tests.support.photos import photo_jpeg

MIB = 1024 * 1024
_seeds = itertools.count(7000)  # each photo its own perceptual hash: the blocklist matches by it


def photo() -> bytes:
    return photo_jpeg((160, 120), next(_seeds))


@dataclass
class World:
    server: PichrServer
    client: httpx.Client
    keys: dict[str, str] = field(default_factory=dict)  # caller name -> Authorization value
    files: dict[str, str] = field(default_factory=dict)  # state -> file id
    tokens: dict[str, str] = field(default_factory=dict)  # file id -> its X-Delete-Token
    albums: dict[str, str] = field(default_factory=dict)  # state -> album id
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # state -> presign answer
    misc: dict[str, str] = field(default_factory=dict)  # account_id, key_id, report_id, ...

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": self.keys[f"owner {ADMIN}-key"]}

    def ask(
        self, method: str, url: str, status: int, anonymous: bool = False, **kw: Any
    ) -> dict[str, Any]:
        """A setup call as the owner's admin key (or nobody's); it must answer `status`."""
        headers = {**({} if anonymous else self.admin), **kw.pop("headers", {})}
        answer = self.client.request(method, url, headers=headers, **kw)
        assert answer.status_code == status, (method, url, answer.status_code, answer.text)
        return answer.json() if answer.content else {}

    # -- keys and accounts -------------------------------------------------------------------

    def fresh_account(self, plan: str = "enterprise") -> str:
        body = {"email": f"{uuid.uuid4().hex[:10]}@test.invalid", "plan": plan}
        return str(self.ask("POST", "/api/v1/admin/accounts", 201, json=body)["id"])

    def fresh_key(self, account_id: str, scope: str = READ) -> dict[str, Any]:
        body = {"accountId": account_id, "scopes": [scope]}
        return self.ask("POST", "/api/v1/admin/keys", 201, json=body)

    def make_keys(self, owner_id: str) -> None:
        other_id = self.fresh_account()
        allow = {"safeModeOptional": True}  # ADULT: before its keys exist, so they see it
        self.ask("PATCH", f"/api/v1/admin/accounts/{other_id}", 200, json=allow)
        for caller in CALLERS:
            if caller.account is not None and caller.name not in self.keys:
                account = owner_id if caller.account == "owner" else other_id
                scope = next(iter(caller.scopes))
                self.keys[caller.name] = "Bearer " + self.fresh_key(account, scope)["apiKey"]
        revoked = self.fresh_key(other_id)
        self.ask("DELETE", f"/api/v1/admin/keys/{revoked['id']}", 200)
        self.keys.update(bad_keys(self.client, self.server, other_id, revoked["apiKey"]))
        self.misc["account_id"] = self.fresh_account("free")
        self.misc["key_id"] = str(self.fresh_key(self.misc["account_id"])["id"])

    # -- uploads and files --------------------------------------------------------------------

    def presign(self, anonymous: bool = False, **fields: Any) -> dict[str, Any]:
        data = photo()
        body = {"filename": "m.jpg", "mime": "image/jpeg", "bytes": len(data), **fields}
        made = self.ask("POST", "/api/v1/upload/presign", 200, anonymous, json=body)
        return {**made, "data": data, "anonymous": anonymous}

    def put(self, made: dict[str, Any]) -> dict[str, Any]:
        self.ask("PUT", made["uploadUrl"], 200, made["anonymous"], content=made["data"])
        return made

    def fresh_file(self, visibility: str = "public", anonymous: bool = False) -> str:
        made = self.put(self.presign(anonymous, visibility=visibility))
        body = {"uploadId": made["uploadId"], "fileId": made["fileId"]}
        self.ask("POST", "/api/v1/upload/finalize", 200, anonymous, json=body)
        if anonymous:
            self.tokens[made["fileId"]] = made["deleteToken"]
        return str(made["fileId"])

    def report(self, file_id: str, reason: str = "spam") -> str:
        body = {"fileId": file_id, "reason": reason, "email": "someone@test.invalid"}
        return str(self.ask("POST", "/api/v1/moderation/report", 201, json=body)["reportId"])

    def make_files(self) -> None:
        for visibility in ("public", "unlisted", "private"):
            self.files[visibility] = self.fresh_file(visibility)
        self.files["anon"] = self.fresh_file(anonymous=True)
        restricted = self.files["restricted"] = self.fresh_file()
        decision = {"action": "restrict", "reason": "adults only"}
        self.ask("POST", f"/api/v1/admin/reports/{self.report(restricted)}/resolve", 200,
                 json=decision)  # fmt: skip
        deleted = self.files["deleted"] = self.fresh_file()
        self.ask("DELETE", f"/api/v1/files/{deleted}", 200)
        self.files["pending"] = str(self.presign()["fileId"])
        self.files["quarantined"] = quarantined = self.fresh_file()
        self.report(quarantined, "csam")
        self.misc["report_id"] = self.report(self.files["public"])
        self.misc["file_id"] = self.files["public"]

    def make_uploads(self) -> None:
        self.uploads["pending"] = self.presign()
        self.uploads["uploaded"] = self.put(self.presign())
        self.uploads["anon"] = self.put(self.presign(anonymous=True))
        self.uploads["open"] = self.fresh_multipart(with_part=True)
        self.misc["upload_id"], self.misc["number"] = self.uploads["open"]["uploadId"], "1"

    def fresh_multipart(self, with_part: bool = False) -> dict[str, Any]:
        data = photo()
        body = {"filename": "m.jpg", "mime": "image/jpeg", "totalBytes": len(data)}
        made = self.ask("POST", "/api/v1/upload/multipart/init", 200,
                        json={**body, "partSize": 5 * MIB})  # fmt: skip
        made = {**made, "data": data, "etag": None}
        if with_part:
            part = self.ask("PUT", made["parts"][0]["uploadUrl"], 200, content=data)
            made["etag"] = part["etag"]
        return made

    # -- albums -------------------------------------------------------------------------------

    def fresh_album(self, visibility: str = "public") -> str:
        body = {"title": "matrix", "visibility": visibility, "fileIds": [self.files["public"]]}
        return str(self.ask("POST", "/api/v1/albums", 201, json=body)["id"])

    def make_albums(self) -> None:
        for visibility in ("public", "unlisted", "private"):
            self.albums[visibility] = self.fresh_album(visibility)
        deleted = self.albums["deleted"] = self.fresh_album()
        self.ask("DELETE", f"/api/v1/albums/{deleted}", 200)
        self.misc["album_id"] = self.albums["public"]


def build(server: PichrServer, client: httpx.Client) -> World:
    owner = server.new_account(scopes="admin", plan="enterprise")
    world = World(server, client, keys={f"owner {ADMIN}-key": f"Bearer {owner.api_key}"})
    world.make_keys(owner.account_id)
    world.make_files()
    world.make_albums()
    world.make_uploads()
    return world
