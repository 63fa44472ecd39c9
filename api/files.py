"""File management routes: list, read, update, delete, download."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from anyio import to_thread
from litestar import Controller, Request, delete, get, patch
from litestar.params import Parameter
from litestar.response import Stream

from api.access import safe_mode_off, visible
from api.auth import require
from api.errors import ApiError
from api.schemas import FileList, FileOut, MessageOut, Pagination, PatchIn, PatchOut
from api.services import Services
from api.serving import content_disposition
from api.views import file_item, file_out
from application.principal import Principal
from projections.queries import ListQuery

SafeMode = Annotated[str | None, Parameter(header="X-Safe-Mode", required=False)]


class FileController(Controller):
    path = "/files"
    tags = ["files"]

    @get("/", summary="List your files")
    async def list_files(
        self, who: Principal, services: Services,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=1_000_000)] = 0,
        sort: Literal["created", "views", "size"] = "created",
        order: Literal["asc", "desc"] = "desc",
        visibility: Literal["public", "unlisted", "private"] | None = None,
        exclude_nsfw: Annotated[bool, Parameter(query="excludeNsfw")] = True,
    ) -> FileList:  # fmt: skip
        require(who, "read")
        assert who.account_id is not None
        q = ListQuery(who.account_id, limit, offset, sort, order, visibility, exclude_nsfw,
                      services.nsfw_threshold)  # fmt: skip
        rows, total = await services.reads.files(q)
        items = [file_item(r, services.urls) for r in rows]
        page = Pagination(total=total, limit=limit, offset=offset,
                          hasMore=offset + len(items) < total)  # fmt: skip
        return FileList(files=items, pagination=page)

    @get("/{file_id:str}", summary="File metadata")
    async def get_file(self, file_id: str, who: Principal, services: Services,
                       safe_mode: SafeMode = None) -> FileOut:  # fmt: skip
        if not who.is_anonymous:
            require(who, "read")
        row = visible(await services.reads.file(file_id), who, file_id=file_id,
                      safe_mode_off=safe_mode_off(safe_mode), threshold=services.nsfw_threshold)  # fmt: skip
        return file_out(row, services.urls, services.nsfw_threshold)

    @patch("/{file_id:str}", summary="Update file metadata")
    async def update_file(self, file_id: str, data: PatchIn, who: Principal,
                          services: Services) -> PatchOut:  # fmt: skip
        require(who, "write")
        changes = {k: v for k, v in _fields(data).items() if v is not None}
        if not changes:
            raise ApiError(400, "Nothing to update.", fields=[])
        position = await to_thread.run_sync(services.files.update, who, file_id, changes)
        await services.caught_up(position)
        row = await services.reads.file(file_id)
        if row is None:
            raise ApiError(503, "The update was recorded; the record is not readable yet.")
        return PatchOut(message="File updated successfully", updated=sorted(changes),
                        file=file_out(row, services.urls, services.nsfw_threshold))  # fmt: skip

    @delete("/{file_id:str}", status_code=200, summary="Delete a file (soft)")
    async def delete_file(
        self, file_id: str, who: Principal, services: Services,
        delete_token: Annotated[str | None, Parameter(header="X-Delete-Token")] = None,
    ) -> MessageOut:  # fmt: skip
        if delete_token is None:
            require(who, "write")
        position = await to_thread.run_sync(services.files.delete, who, file_id, delete_token)
        await services.caught_up(position)
        return MessageOut(message="File deleted successfully", fileId=file_id)

    @get("/{file_id:str}/download", summary="Download the file")
    async def download(self, request: Request[Any, Any, Any], file_id: str, who: Principal,
                       services: Services, safe_mode: SafeMode = None) -> Stream:  # fmt: skip
        row = visible(await services.reads.file(file_id), who, file_id=file_id,
                      safe_mode_off=safe_mode_off(safe_mode), threshold=services.nsfw_threshold)  # fmt: skip
        chunks = await to_thread.run_sync(services.blobs.read, row["blob_key"])
        services.counter.download(file_id)
        headers = {"Content-Disposition": content_disposition(row["filename"]),
                   "Content-Length": str(row["bytes"]), "ETag": f'"{row["sha256"]}"'}  # fmt: skip
        return Stream(chunks, media_type=row["mime"], headers=headers)


def _fields(data: PatchIn) -> dict[str, Any]:
    return {f: getattr(data, f) for f in data.__struct_fields__}
