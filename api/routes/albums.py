"""Album routes: create, list, read, update, delete, add and remove files."""

from __future__ import annotations

import time
from typing import Annotated, Any, cast

import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, patch, post
from litestar.params import Parameter

from pichr.api.access import album_cache_headers, asked_off
from pichr.api.album_access import Unlock, open_album
from pichr.api.commands import ON_ALBUMS, run
from pichr.api.middleware.gate import client_ip
from pichr.api.services import Services
from pichr.api.wire.album_views import album_detail, album_out
from pichr.api.wire.albums import (
    AlbumDetail,
    AlbumFilesIn,
    AlbumFilesOut,
    AlbumIn,
    AlbumList,
    AlbumMessageOut,
    AlbumOut,
    AlbumPatchIn,
    AlbumPatchOut,
)
from pichr.api.wire.error_docs import refusal_specs
from pichr.api.wire.inputs import album_changes, album_draft
from pichr.api.wire.schemas import Pagination
from pichr.domain.access import adult, require_read, require_scope
from pichr.domain.errors import NotReadableYetError
from pichr.domain.principal import Principal
from pichr.projections.queries.albums import Viewer

encode = msgspec.json.Encoder().encode
# Every refusal these routes (and the gate before them) may answer, in the one error format.
ERRORS = refusal_specs(400, 401, 403, 404, 409, 410, 413, 429, 503)
AlbumPassword = Annotated[str | None, Parameter(header="X-Album-Password")]
SafeMode = Annotated[str | None, Parameter(header="X-Safe-Mode")]


def client_of(request: Request[Any, Any, Any], services: Services) -> str:
    """The caller's address, as the rate limits see it (X-Forwarded-For of trusted proxies)."""
    return client_ip(request.scope, dict(request.scope["headers"]), services.trusted_proxies)


class AlbumController(Controller):
    path = "/albums"
    tags = ["albums"]

    @post("/", status_code=201, summary="Create an album", responses=ERRORS)
    async def create_album(self, data: AlbumIn, who: Principal, services: Services) -> AlbumOut:
        require_scope(who, "write")
        create = services.albums.commands.create
        album_id, _ = await run(services, ON_ALBUMS, create, who, album_draft(data))
        return await _owner_view(services, album_id)

    @get("/", summary="List your albums", responses=ERRORS)
    async def list_albums(
        self,
        who: Principal,
        services: Services,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=1_000_000)] = 0,
    ) -> AlbumList:
        require_scope(who, "read")
        albums = services.albums
        rows, total = await albums.reads.owned(who.account_id or "", limit, offset)
        more = offset + len(rows) < total
        return AlbumList(
            albums=[album_out(r, albums.page_url(r.id)) for r in rows],
            pagination=Pagination(total=total, limit=limit, offset=offset, has_more=more),
        )

    @get("/{album_id:str}", summary="Album details and the files you may see", responses=ERRORS)
    async def get_album(
        self,
        request: Request[Any, Any, Any],
        album_id: str,
        who: Principal,
        services: Services,
        password: AlbumPassword = None,
        safe_mode: SafeMode = None,
    ) -> Response[AlbumDetail]:
        started = time.perf_counter()
        require_read(who)
        albums = services.albums
        unlock = Unlock(client=client_of(request, services), password=password)
        row, owner = await open_album(albums, album_id, who, unlock)
        viewer = Viewer(who.account_id, owner, adult(who, asked_off=asked_off(safe_mode)))
        contents = await albums.reads.files(album_id, viewer)
        body = contents.memo.get("json")
        if body is None:
            detail = album_detail(row, contents, albums.page_url(album_id), services.urls)
            body = contents.memo["json"] = encode(detail)
        services.counter.view(album_id)
        timing = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        headers = {"Server-Timing": timing, **album_cache_headers(row)}
        return Response(cast("AlbumDetail", body), media_type=MediaType.JSON, headers=headers)

    @patch("/{album_id:str}", summary="Update album metadata, password or cover", responses=ERRORS)
    async def update_album(
        self, album_id: str, data: AlbumPatchIn, who: Principal, services: Services
    ) -> AlbumPatchOut:
        require_scope(who, "write")
        changes = album_changes(data)
        await run(services, ON_ALBUMS, services.albums.commands.update, who, album_id, changes)
        album = await _owner_view(services, album_id)
        return AlbumPatchOut("Album updated successfully", sorted(changes), album)

    @delete(
        "/{album_id:str}",
        status_code=200,
        summary="Delete an album (its files stay)",
        responses=ERRORS,
    )
    async def delete_album(
        self, album_id: str, who: Principal, services: Services
    ) -> AlbumMessageOut:
        require_scope(who, "write")
        await run(services, ON_ALBUMS, services.albums.commands.delete, who, album_id)
        return AlbumMessageOut(message="Album deleted successfully", album_id=album_id)

    @post(
        "/{album_id:str}/files", status_code=200, summary="Add files to an album", responses=ERRORS
    )
    async def add_files(
        self, album_id: str, data: AlbumFilesIn, who: Principal, services: Services
    ) -> AlbumFilesOut:
        require_scope(who, "write")
        add, file_ids = services.albums.commands.add_files, list(data.file_ids)
        added, _ = await run(services, ON_ALBUMS, add, who, album_id, file_ids)
        return AlbumFilesOut("Files added successfully", added, len(file_ids))

    @delete(
        "/{album_id:str}/files/{file_id:str}",
        status_code=200,
        summary="Remove a file",
        responses=ERRORS,
    )
    async def remove_file(
        self, album_id: str, file_id: str, who: Principal, services: Services
    ) -> AlbumMessageOut:
        require_scope(who, "write")
        remove = services.albums.commands.remove_file
        await run(services, ON_ALBUMS, remove, who, album_id, file_id)
        return AlbumMessageOut("File removed from the album", album_id=album_id, file_id=file_id)


async def _owner_view(services: Services, album_id: str) -> AlbumOut:
    """The album as its owner sees it, once the album read model has it."""
    row = await services.albums.reads.album(album_id)
    if row is None:
        raise NotReadableYetError("The change was recorded; the album is not readable yet.")
    return album_out(row, services.albums.page_url(album_id))
