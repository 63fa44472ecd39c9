"""File management routes: list, read, update, delete, download."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, patch, route
from litestar.params import Parameter

from pichr.api.access import PRIVATE_RECORD, VARY, bytes_headers, record_headers, see_file
from pichr.api.commands import ON_FILES, run
from pichr.api.deps import caller
from pichr.api.routes.sending import send_blob
from pichr.api.routes.served import content_disposition, rendition
from pichr.api.routes.serving import BYTES_METHODS, allowed_bytes
from pichr.api.services import Services
from pichr.api.wire.files import FileList, FileOut, MessageOut, PatchIn, PatchOut
from pichr.api.wire.inputs import file_changes
from pichr.api.wire.views import file_out, file_page
from pichr.domain.access import require_delete, require_scope
from pichr.domain.errors import NotReadableYetError
from pichr.domain.principal import Principal
from pichr.projections.queries.reads import ListQuery

encode = msgspec.json.Encoder().encode
SafeMode = Annotated[str | None, Parameter(header="X-Safe-Mode", required=False)]


class FileController(Controller):
    path = "/files"
    tags = ["files"]

    @get("/", summary="List your files")
    async def list_files(
        self,
        request: Request[Any, Any, Any],
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=1_000_000)] = 0,
        sort: Literal["created", "views", "size"] = "created",
        order: Literal["asc", "desc"] = "desc",
        visibility: Literal["public", "unlisted", "private"] | None = None,
        exclude_nsfw: Annotated[bool, Parameter(query="excludeNsfw")] = True,
        cursor: Annotated[str | None, Parameter(max_length=512)] = None,
    ) -> Response[FileList]:
        who, services = await caller(request)
        require_scope(who, "read")
        owner, threshold = who.account_id or "", services.nsfw_threshold
        q = ListQuery(
            owner, limit, offset, sort, order, visibility, exclude_nsfw, threshold, cursor
        )
        page = await services.reads.files(q)
        body = page.memo.get("json")
        if body is None:
            body = page.memo["json"] = encode(file_page(page, q, services.urls))
        headers = {"Cache-Control": PRIVATE_RECORD, "Vary": VARY}  # the caller's own files
        return Response(cast("FileList", body), media_type=MediaType.JSON, headers=headers)

    @get("/{file_id:str}", summary="File metadata")
    async def get_file(
        self, request: Request[Any, Any, Any], file_id: str, safe_mode: SafeMode = None
    ) -> Response[FileOut]:
        who, services = await caller(request)
        threshold = services.nsfw_threshold
        row = see_file(
            await services.file_row(file_id), who, file_id=file_id, safe_mode=safe_mode,
            threshold=threshold,
        )  # fmt: skip
        body = row.body_memo
        if body is None:
            # Rows are shared through the read cache: the body is encoded once per version.
            body = row.body_memo = encode(file_out(row, services.urls, threshold))
        headers = record_headers(row, threshold)
        return Response(cast("FileOut", body), media_type=MediaType.JSON, headers=headers)

    @patch("/{file_id:str}", summary="Update file metadata")
    async def update_file(
        self, file_id: str, data: PatchIn, who: Principal, services: Services
    ) -> PatchOut:
        require_scope(who, "write")
        changes = file_changes(data)
        await run(services, ON_FILES, services.files.update, who, file_id, changes)
        row = await services.reads.file(file_id)
        if row is None:
            raise NotReadableYetError("The update was recorded; the record is not readable yet.")
        file = file_out(row, services.urls, services.nsfw_threshold)
        return PatchOut("File updated successfully", sorted(changes), file)

    @delete("/{file_id:str}", status_code=200, summary="Delete a file (soft)")
    async def delete_file(
        self,
        file_id: str,
        who: Principal,
        services: Services,
        delete_token: Annotated[str | None, Parameter(header="X-Delete-Token")] = None,
    ) -> MessageOut:
        require_delete(who, token=delete_token is not None)
        await run(services, ON_FILES, services.files.delete, who, file_id, delete_token)
        return MessageOut(message="File deleted successfully", file_id=file_id)

    @route("/{file_id:str}/download", http_method=BYTES_METHODS, summary="Download the file")
    async def download(
        self,
        request: Request[Any, Any, Any],
        file_id: str,
        who: Principal,
        services: Services,
        safe_mode: SafeMode = None,
    ) -> Response[bytes]:
        row = allowed_bytes(await services.reads.file(file_id), who, file_id, services, safe_mode)
        served = rendition(row)  # metadata stripped, never the private original
        headers = {
            "Content-Disposition": content_disposition(row.filename),
            **bytes_headers(row, services.nsfw_threshold),
        }
        count = lambda: services.counter.download(file_id)  # noqa: E731
        return await send_blob(request, services, served, headers, on_bytes=count)
