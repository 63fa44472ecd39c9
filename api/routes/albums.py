"""Album routes: create, list, read, update, delete, add and remove files."""

from __future__ import annotations

import time
from typing import Annotated, Any, cast

import msgspec
from anyio import to_thread
from litestar import Controller, MediaType, Request, Response, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from pichr.api.access import album_cache_headers, asked_off
from pichr.api.album_access import Unlock, open_album
from pichr.api.errors import NAMES
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
from pichr.api.wire.schemas import ErrorOut, Pagination
from pichr.application.albums.commands import AlbumDraft
from pichr.domain.access import adult, require_read, require_scope
from pichr.domain.errors import NotReadableYetError
from pichr.domain.principal import Principal
from pichr.projections.queries.albums import Viewer

encode = msgspec.json.Encoder().encode
PATCHABLE = ("title", "description", "visibility", "tags")
# Every refusal these routes (and the gate before them) may answer, in the one error format.
ERRORS = {
    code: ResponseSpec(data_container=ErrorOut, description=NAMES[code], generate_examples=False)
    for code in (400, 401, 403, 404, 409, 410, 413, 429, 503)
}


def client_of(request: Request[Any, Any, Any], services: Services) -> str:
    """The caller's address, as the rate limits see it (X-Forwarded-For of trusted proxies)."""
    return client_ip(request.scope, dict(request.scope["headers"]), services.trusted_proxies)


class AlbumController(Controller):
    path = "/albums"
    tags = ["albums"]

    @post("/", status_code=201, summary="Create an album", responses=ERRORS)
    async def create_album(self, data: AlbumIn, who: Principal, services: Services) -> AlbumOut:
        require_scope(who, "write")
        draft = AlbumDraft(
            title=data.title,
            description=data.description,
            visibility=data.visibility,
            tags=list(data.tags),
            file_ids=list(data.file_ids),
            password=data.password or None,
        )
        album_id, position = await to_thread.run_sync(services.albums.commands.create, who, draft)
        return await _owner_view(services, album_id, position)

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
        password: Annotated[str | None, Parameter(header="X-Album-Password")] = None,
        safe_mode: Annotated[str | None, Parameter(header="X-Safe-Mode")] = None,
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
        changes: dict[str, Any] = {
            name: getattr(data, name) for name in PATCHABLE if getattr(data, name) is not None
        }
        if data.password is not msgspec.UNSET:
            changes["password"] = data.password
        if data.cover_image_id is not msgspec.UNSET:
            changes["coverImageId"] = data.cover_image_id
        update = services.albums.commands.update
        position = await to_thread.run_sync(update, who, album_id, changes)
        album = await _owner_view(services, album_id, position)
        return AlbumPatchOut(
            message="Album updated successfully", updated=sorted(changes), album=album
        )

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
        position = await to_thread.run_sync(services.albums.commands.delete, who, album_id)
        await services.caught_up(position, "albums")
        return AlbumMessageOut(message="Album deleted successfully", album_id=album_id)

    @post(
        "/{album_id:str}/files", status_code=200, summary="Add files to an album", responses=ERRORS
    )
    async def add_files(
        self, album_id: str, data: AlbumFilesIn, who: Principal, services: Services
    ) -> AlbumFilesOut:
        require_scope(who, "write")
        add = services.albums.commands.add_files
        added, position = await to_thread.run_sync(add, who, album_id, list(data.file_ids))
        await services.caught_up(position, "albums")
        return AlbumFilesOut(
            message="Files added successfully", added=added, requested=len(data.file_ids)
        )

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
        position = await to_thread.run_sync(remove, who, album_id, file_id)
        await services.caught_up(position, "albums")
        return AlbumMessageOut(
            message="File removed from the album", album_id=album_id, file_id=file_id
        )


async def _owner_view(services: Services, album_id: str, position: int) -> AlbumOut:
    await services.caught_up(position, "albums")
    row = await services.albums.reads.album(album_id)
    if row is None:
        raise NotReadableYetError("The change was recorded; the album is not readable yet.")
    return album_out(row, services.albums.page_url(album_id))
