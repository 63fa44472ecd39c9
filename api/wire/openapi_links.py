"""OpenAPI links: which answer's ids feed which operation, so that a client (and the fuzzer's
stateful phase) can follow an upload, an album, a multipart upload, an account, a key and a
report through their life: presign -> finalize -> read, change, delete; create -> use -> delete.
"""

from __future__ import annotations

from typing import Any

from litestar.openapi.spec import Link, OpenAPI, OpenAPIResponse, Operation

FILE, ALBUM = "/api/v1/files/{file_id}", "/api/v1/albums/{album_id}"
MP, AD = "/api/v1/upload/multipart", "/api/v1/admin"
Target = tuple[str, dict[str, Any], Any]  # operation, path parameters, request body


def _at(field: str) -> str:
    return f"$response.body#/{field}"


def _path(operation: str, **parameters: Any) -> Target:
    return operation, parameters, None


def _body(operation: str, body: dict[str, Any]) -> Target:
    return operation, {}, body


def _file(field: str) -> dict[str, Target]:
    """Where a file id found at `field` of an answer leads."""
    routes = {
        "GetFile": f"GET {FILE}",
        "UpdateFile": f"PATCH {FILE}",
        "DeleteFile": f"DELETE {FILE}",
        "DownloadFile": f"GET {FILE}/download",
        "Image": "GET /i/{file_id}",
        "Thumbnail": "GET /t/{file_id}",
        "History": f"GET {AD}/files/{{file_id}}/history",
    }
    return {name: _path(route, file_id=_at(field)) for name, route in routes.items()}


def _each(ids: dict[str, str], routes: dict[str, str]) -> dict[str, Target]:
    return {name: _path(route, **ids) for name, route in routes.items()}


_ALBUM = {
    "GetAlbum": f"GET {ALBUM}",
    "UpdateAlbum": f"PATCH {ALBUM}",
    "DeleteAlbum": f"DELETE {ALBUM}",
    "AddFiles": f"POST {ALBUM}/files",
}
_MULTIPART = {
    "Status": f"GET {MP}/{{upload_id}}",
    "Abort": f"DELETE {MP}/{{upload_id}}",
}
_ACCOUNT = {
    "SetPlan": f"PATCH {AD}/accounts/{{account_id}}",
    "DeleteAccount": f"DELETE {AD}/accounts/{{account_id}}",
}
_REPORT = {
    "GetReport": f"GET {AD}/reports/{{report_id}}",
    "Resolve": f"POST {AD}/reports/{{report_id}}/resolve",
    "EraseEmail": f"DELETE {AD}/reports/{{report_id}}/email",
}
# (operation, status) -> link name -> where it leads
LINKS: dict[tuple[str, str], dict[str, Target]] = {
    ("POST /api/v1/upload/presign", "200"): {
        **_file("fileId"),
        "PutBytes": _path("PUT /api/v1/upload/direct/{file_id}", file_id=_at("fileId")),
        "Finalize": _body(
            "POST /api/v1/upload/finalize",
            {"uploadId": _at("uploadId"), "fileId": _at("fileId")},
        ),
    },
    ("POST /api/v1/upload/finalize", "200"): {
        **_file("fileId"),
        "Report": _body(
            "POST /api/v1/moderation/report", {"fileId": _at("fileId"), "reason": "spam"}
        ),
        "NewAlbum": _body("POST /api/v1/albums", {"title": "linked", "fileIds": [_at("fileId")]}),
    },
    ("POST /api/v1/albums", "201"): _each({"album_id": _at("id")}, _ALBUM),
    (f"POST {MP}/init", "200"): {
        **_each({"upload_id": _at("uploadId")}, _MULTIPART),
        "PutPart": _path(
            f"PUT {MP}/{{upload_id}}/parts/{{number}}", upload_id=_at("uploadId"), number=1
        ),
    },
    (f"POST {AD}/accounts", "201"): {
        **_each({"account_id": _at("id")}, _ACCOUNT),
        "NewKey": _body(f"POST {AD}/keys", {"accountId": _at("id"), "scopes": ["read"]}),
    },
    (f"POST {AD}/keys", "201"): {
        "RevokeKey": _path(f"DELETE {AD}/keys/{{key_id}}", key_id=_at("id"))
    },
    ("POST /api/v1/moderation/report", "201"): _each({"report_id": _at("reportId")}, _REPORT),
}


def add_links(document: OpenAPI, by_name: dict[str, Operation]) -> None:
    """Attach LINKS to the answers they start from (in place)."""
    for (source, status), links in LINKS.items():
        answer = (by_name[source].responses or {})[status]
        if not isinstance(answer, OpenAPIResponse):
            continue
        answer.links = {
            name: Link(
                operation_id=by_name[target].operation_id,
                parameters=parameters or None,
                request_body=body,
            )
            for name, (target, parameters, body) in links.items()
        }
