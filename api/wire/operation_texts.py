"""The words of the OpenAPI document (api/wire/operation_docs.py): each operation's description,
and the request examples a schema alone would not give."""

from __future__ import annotations

from typing import Any

F, A = "/api/v1/files", "/api/v1/albums"
MP, AD = "/api/v1/upload/multipart", "/api/v1/admin"
KEY = "Send the key as `Authorization: Bearer pk_...`."
DESCRIPTIONS: dict[str, str] = {
    "POST /api/v1/upload/presign": (
        "Step 1 of 3 of an upload: declares the file (name, type, size) and reserves its size on "
        "the quota. Answers the `uploadUrl` to PUT the bytes to, then call finalize. Without a key "
        "the upload is anonymous: it expires, and the answer holds its `deleteToken`."
    ),
    "PUT /api/v1/upload/direct/{file_id}": (
        "Step 2 of 3: the raw bytes of the file, exactly the declared size, as the body "
        "(`Content-Type: application/octet-stream`). Streamed to the blob store; nothing is "
        "published until finalize."
    ),
    "POST /api/v1/upload/finalize": (
        "Step 3 of 3: checks the bytes (type, size, hash), strips metadata, and publishes the "
        "file. 200 with the full record once the image pipeline has run; 202 when it is still "
        "running (read the file again shortly)."
    ),
    f"POST {MP}/init": (
        "Starts an upload of a large file in parts: answers one URL per part. PUT each part, "
        "then call complete, then finalize."
    ),
    f"PUT {MP}/{{upload_id}}/parts/{{number}}": (
        "One part's bytes, exactly its size, when the blob store cannot take the part directly."
    ),
    f"GET {MP}/{{upload_id}}": "Which parts have arrived, to resume an interrupted upload.",
    f"POST {MP}/complete": "Joins the uploaded parts into one object; then call finalize.",
    f"DELETE {MP}/{{upload_id}}": "Abandons a multipart upload: its parts are deleted.",
    f"GET {F}": f"Your files, newest first, a page at a time. {KEY}",
    f"GET {F}/{{file_id}}": (
        "A file's record. Public and unlisted files need no key; private files only their owner."
    ),
    f"PATCH {F}/{{file_id}}": (
        "Changes a file's title, description, visibility, tags or hotlink policy (owner only)."
    ),
    f"DELETE {F}/{{file_id}}": (
        "Deletes a file: it stops being served at once and its bytes are purged later. "
        "An anonymous upload is deleted with its `X-Delete-Token`."
    ),
    f"GET {F}/{{file_id}}/download": (
        "The file's bytes as an attachment, under its original filename. Counted as a download."
    ),
    "GET /i/{file_id}": (
        "The image itself (metadata stripped), for `<img src>`: ETag, Range and conditional "
        "requests work. Share `/f/{id}` for a page, this URL for the bytes."
    ),
    "GET /t/{file_id}": "A small WebP thumbnail of the image.",
    f"GET {A}": f"Your albums, newest first. {KEY}",
    f"POST {A}": "Creates an album, optionally with files, a password and tags.",
    f"GET {A}/{{album_id}}": (
        "An album and the files in it that you may see. A protected album needs its password "
        "in `X-Album-Password` (its owner excepted)."
    ),
    f"PATCH {A}/{{album_id}}": "Changes an album's title, text, visibility, password or cover.",
    f"DELETE {A}/{{album_id}}": "Deletes an album; its files stay.",
    f"POST {A}/{{album_id}}/files": "Adds your files to an album, in the order given.",
    f"DELETE {A}/{{album_id}}/files/{{file_id}}": "Takes a file out of an album (the file stays).",
    "GET /api/v1/usage": "Your plan, its limits, what is left of them this hour, and storage used.",
    "POST /api/v1/moderation/report": (
        "Reports a file for review by a moderator; no key needed. Reasons: the `reason` enum. "
        "A few reports per client address per hour."
    ),
    f"POST {AD}/accounts": "Creates an account on a plan (admin).",
    f"PATCH {AD}/accounts/{{account_id}}": (
        "Changes an account's plan, or whether its keys may turn safe mode off (admin)."
    ),
    f"DELETE {AD}/accounts/{{account_id}}": "Deletes an account, its keys and its files (admin).",
    f"GET {AD}/keys": "Lists API keys, never their secret (admin).",
    f"POST {AD}/keys": "Creates an API key with scopes; its secret is shown this once (admin).",
    f"DELETE {AD}/keys/{{key_id}}": "Revokes an API key at once (admin).",
    f"GET {AD}/events": "The event log in order, personal data redacted, a page at a time (admin).",
    f"GET {AD}/files/{{file_id}}": "A file's record as it was at a past moment (admin).",
    f"GET {AD}/files/{{file_id}}/history": "Every event of a file, in order (admin).",
    f"GET {AD}/reports": "The moderation queue: top priority first, then oldest first (admin).",
    f"GET {AD}/reports/{{report_id}}": "One report, with the reporter's e-mail if given (admin).",
    f"POST {AD}/reports/{{report_id}}/resolve": (
        "Decides a report: dismiss it, or act on the file (admin)."
    ),
    f"DELETE {AD}/reports/{{report_id}}/email": "Erases a report's e-mail (admin).",
    "GET /f/{file_id}": (
        "The file's web page (text/html): the image, its title and description, and link "
        "previews (OpenGraph, Twitter cards). The link to share; `/i/{id}` is the bytes."
    ),
    "GET /a/{album_id}": (
        "The album's web page (text/html), a gallery of the files you may see. A protected "
        "album answers 401 with a password form that posts to the same URL."
    ),
    "POST /a/{album_id}": (
        "The password form of a protected album (`password`): the right one renders the album "
        "and sets a cookie that keeps it open on reloads."
    ),
    "GET /health": "Liveness: the process answers. No key.",
    "GET /ready": "Readiness: the database and the blob store answer. No key.",
}
FILE_ID = "file_5JxT9nKq2mVb8wZcR3hYpA"
BODIES: dict[str, Any] = {
    "POST /api/v1/upload/presign": {
        "filename": "sunset.png",
        "mime": "image/png",
        "bytes": 245760,
        "title": "Sunset over the lake",
        "visibility": "public",
        "tags": ["lake"],
    },
    "POST /api/v1/upload/finalize": {"uploadId": "upl_3MnBvCxZaSdFgHjKlQwErT", "fileId": FILE_ID},
    f"POST {MP}/init": {
        "filename": "panorama.jpg",
        "mime": "image/jpeg",
        "totalBytes": 52428800,
        "partSize": 8388608,
    },
    f"POST {MP}/complete": {
        "uploadId": "upl_3MnBvCxZaSdFgHjKlQwErT",
        "fileId": FILE_ID,
        "parts": [{"partNumber": 1, "etag": '"9f86d081884c7d65"'}],
    },
    f"PATCH {F}/{{file_id}}": {"title": "Sunset", "visibility": "unlisted"},
    f"POST {A}": {"title": "Summer 2026", "fileIds": [FILE_ID], "visibility": "unlisted"},
    f"PATCH {A}/{{album_id}}": {"title": "Summer 2026, the best", "coverImageId": FILE_ID},
    f"POST {A}/{{album_id}}/files": {"fileIds": [FILE_ID]},
    "POST /api/v1/moderation/report": {"fileId": FILE_ID, "reason": "spam"},
    f"POST {AD}/accounts": {"email": "someone@example.com", "plan": "free"},
    f"PATCH {AD}/accounts/{{account_id}}": {"plan": "pro"},
    f"POST {AD}/keys": {
        "accountId": "usr_9PoIuYtReWqAsDfGhJkLmN",
        "scopes": ["read", "upload"],
        "name": "laptop",
    },
    f"POST {AD}/reports/{{report_id}}/resolve": {"action": "dismiss", "reason": "Not spam."},
    "POST /a/{album_id}": {"password": "open sesame"},
}
