"""The access model as data, for the scope matrix (tests/integration/test_scope_matrix.py).

Each route (method, template) says which scope a key needs, whether anonymous callers get in,
and what it names; OUTCOMES say, for each state of that target, what its owner and a stranger
get once past the scope check. `expected` is the whole rule: bad key 401; anonymous 401 unless
let in (then a stranger); a key without the scope 403; then ownership, visibility, lifecycle.
"""

from __future__ import annotations

from dataclasses import dataclass

READ, UPLOAD, WRITE, ADMIN = "read", "upload", "write", "admin"
ANY_KEY = "any valid key"
NOTHING = "nothing"  # the route never looks at a key (probes, the API's own document)
OK = 0  # the route's own success status
SKIP = None  # the model leaves the cell open: no expectation, no request
NEVER, STRANGER, TOKEN = "401", "as a stranger", "with X-Delete-Token"


@dataclass(frozen=True)
class Caller:
    name: str
    account: str | None  # "owner" (owns every target) or "other"; None: no account
    scopes: frozenset[str] = frozenset()
    bad: bool = False  # malformed, unknown, revoked, expired: refused wherever a key is looked at

    def has(self, scope: str) -> bool:
        return scope in self.scopes or ADMIN in self.scopes


CALLERS = (
    Caller("anonymous", None),
    Caller("malformed key", None, bad=True),
    Caller("unknown key", None, bad=True),
    Caller("revoked key", None, bad=True),
    Caller("expired key", None, bad=True),
    *(
        Caller(f"{who} {scope}-key", who, frozenset({scope}))
        for who in ("owner", "other")
        for scope in (READ, UPLOAD, WRITE, ADMIN)
    ),
)


@dataclass(frozen=True)
class Route:
    scope: str
    anonymous: str  # NEVER, STRANGER, or TOKEN (only when the request sends X-Delete-Token)
    target: str  # a key of OUTCOMES
    ok: int = 200
    uses_up: bool = False  # a success changes the target for good: such cells get their own
    page: bool = False  # a browser page: it never reads X-Safe-Mode


# state -> (owner, stranger) once past the scope check. The anonymous uploader owns "anon*".
FILE = {
    "public": (OK, OK), "unlisted": (OK, OK), "private": (OK, 404),
    "restricted": (403, 403), "restricted+safe-off": (403, 403),  # but see ADULT below
    "deleted": (410, 410), "pending": (OK, 404), "quarantined": (451, 451),
}  # fmt: skip
BYTES = {**FILE, "pending": (404, 404)}  # no bytes before the analysis, for anybody
FILE_CHANGE = {
    "public": (OK, 403), "unlisted": (OK, 403), "private": (OK, 404),
    "deleted": (410, 410), "quarantined": (451, 451),
}  # fmt: skip
FILE_DELETE = {
    **FILE_CHANGE,
    "public+empty-token": (OK, 403), "private+empty-token": (OK, 404),
    "anon+token": (OK, SKIP), "anon+wrong-token": (403, 403),
}  # fmt: skip
ALBUM = {"public": (OK, OK), "unlisted": (OK, OK), "private": (OK, 404), "deleted": (410, 410)}
ALBUM_CHANGE = {**ALBUM, "public": (OK, 403), "unlisted": (OK, 403)}
OUTCOMES: dict[str, dict[str, tuple[int | None, int | None]]] = {
    "none": {"-": (OK, OK)},
    "file": FILE,
    "bytes": BYTES,
    "file change": FILE_CHANGE,
    "file delete": FILE_DELETE,
    "album": ALBUM,
    "album change": ALBUM_CHANGE,
    "direct": {"pending": (OK, 404), "anon": (OK, SKIP)},  # the token in the URL is the key
    "finalize": {"uploaded": (OK, 404), "anon": (OK, SKIP)},
    "multipart": {"open": (OK, 404)},
}

A, UP, MP, AD = "/api/v1", "/api/v1/upload", "/api/v1/upload/multipart", "/api/v1/admin"
FILE_ID, ALBUM_ID = "{file_id:str}", "{album_id:str}"
OPEN = Route(NOTHING, STRANGER, "none")
PREFLIGHT = Route(NOTHING, STRANGER, "none", ok=204)  # OPTIONS, on every route
RULES: dict[tuple[str, str], Route] = {
    ("POST", f"{UP}/presign"): Route(UPLOAD, STRANGER, "none"),
    ("POST", UP): Route(UPLOAD, STRANGER, "none"),  # the one-request upload
    ("PUT", f"{UP}/direct/{FILE_ID}"): Route(UPLOAD, STRANGER, "direct", uses_up=True),
    ("POST", f"{UP}/finalize"): Route(UPLOAD, STRANGER, "finalize"),  # idempotent
    ("POST", f"{MP}/init"): Route(UPLOAD, NEVER, "none"),
    ("PUT", f"{MP}/{{upload_id:str}}/parts/{{number:int}}"): Route(
        UPLOAD, NEVER, "multipart", uses_up=True
    ),
    ("GET", f"{MP}/{{upload_id:str}}"): Route(UPLOAD, NEVER, "multipart"),
    ("DELETE", f"{MP}/{{upload_id:str}}"): Route(UPLOAD, NEVER, "multipart", uses_up=True),
    ("POST", f"{MP}/complete"): Route(UPLOAD, NEVER, "multipart", uses_up=True),
    ("GET", f"{A}/files"): Route(READ, NEVER, "none"),
    ("GET", f"{A}/files/{FILE_ID}"): Route(READ, STRANGER, "file"),
    ("PATCH", f"{A}/files/{FILE_ID}"): Route(WRITE, NEVER, "file change"),
    ("DELETE", f"{A}/files/{FILE_ID}"): Route(WRITE, TOKEN, "file delete", uses_up=True),
    ("GET", f"{A}/files/{FILE_ID}/download"): Route(READ, STRANGER, "bytes"),
    ("HEAD", f"{A}/files/{FILE_ID}/download"): Route(READ, STRANGER, "bytes"),
    ("GET", f"/i/{FILE_ID}"): Route(READ, STRANGER, "bytes"),
    ("HEAD", f"/i/{FILE_ID}"): Route(READ, STRANGER, "bytes"),
    ("GET", f"/t/{FILE_ID}"): Route(READ, STRANGER, "bytes"),
    ("HEAD", f"/t/{FILE_ID}"): Route(READ, STRANGER, "bytes"),
    ("GET", f"/f/{FILE_ID}"): Route(READ, STRANGER, "bytes", page=True),
    ("GET", f"{A}/albums"): Route(READ, NEVER, "none"),
    ("POST", f"{A}/albums"): Route(WRITE, NEVER, "none", ok=201),
    ("GET", f"{A}/albums/{ALBUM_ID}"): Route(READ, STRANGER, "album"),
    ("PATCH", f"{A}/albums/{ALBUM_ID}"): Route(WRITE, NEVER, "album change"),
    ("DELETE", f"{A}/albums/{ALBUM_ID}"): Route(WRITE, NEVER, "album change", uses_up=True),
    ("POST", f"{A}/albums/{ALBUM_ID}/files"): Route(WRITE, NEVER, "album change"),
    ("DELETE", f"{A}/albums/{ALBUM_ID}/files/{FILE_ID}"): Route(
        WRITE, NEVER, "album change", uses_up=True
    ),
    ("GET", f"/a/{ALBUM_ID}"): Route(READ, STRANGER, "album"),
    ("POST", f"/a/{ALBUM_ID}"): Route(READ, STRANGER, "album"),
    ("GET", f"{A}/usage"): Route(ANY_KEY, NEVER, "none"),
    ("POST", f"{A}/moderation/report"): Route(ANY_KEY, STRANGER, "none", ok=201),
    ("POST", f"{AD}/accounts"): Route(ADMIN, NEVER, "none", ok=201),
    ("PATCH", f"{AD}/accounts/{{account_id:str}}"): Route(ADMIN, NEVER, "none"),
    ("DELETE", f"{AD}/accounts/{{account_id:str}}"): Route(ADMIN, NEVER, "none", uses_up=True),
    ("POST", f"{AD}/accounts/{{account_id:str}}/erase"): Route(ADMIN, NEVER, "none", uses_up=True),
    ("GET", f"{AD}/keys"): Route(ADMIN, NEVER, "none"),
    ("POST", f"{AD}/keys"): Route(ADMIN, NEVER, "none", ok=201),
    ("DELETE", f"{AD}/keys/{{key_id:str}}"): Route(ADMIN, NEVER, "none", uses_up=True),
    ("GET", f"{AD}/events"): Route(ADMIN, NEVER, "none"),
    ("GET", f"{AD}/files/{FILE_ID}"): Route(ADMIN, NEVER, "none"),
    ("GET", f"{AD}/files/{FILE_ID}/history"): Route(ADMIN, NEVER, "none"),
    ("GET", f"{AD}/reports"): Route(ADMIN, NEVER, "none"),
    ("GET", f"{AD}/reports/{{report_id:str}}"): Route(ADMIN, NEVER, "none"),
    ("POST", f"{AD}/reports/{{report_id:str}}/resolve"): Route(ADMIN, NEVER, "none", uses_up=True),
    ("DELETE", f"{AD}/reports/{{report_id:str}}/email"): Route(ADMIN, NEVER, "none"),
    ("GET", "/health"): OPEN,
    ("GET", "/ready"): OPEN,
    ("GET", "/metrics"): OPEN,  # loopback clients (the matrix's) without PICHR_METRICS_TOKEN
    ("GET", f"{A}/schema"): OPEN,
    ("GET", f"{A}/schema/openapi.json"): OPEN,
    ("GET", f"{A}/schema/scalar"): OPEN,
    ("GET", f"{A}/schema/assets/{{name:str}}"): OPEN,  # the docs page's packaged files
    ("GET", f"{A}/schema/{{path:str}}"): Route(NOTHING, STRANGER, "none", ok=404),  # catch-all
}


# Paths one route serves in another form, checked like it: the variants of /i (CONTRACT.md,
# "Image variants") are the original's access decision over a derived blob.
FORMS: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", f"/i/{FILE_ID}.webp"): ("GET", f"/i/{FILE_ID}"),
    ("GET", f"/i/{FILE_ID}?w=16&format=png"): ("GET", f"/i/{FILE_ID}"),
    ("GET", f"/i/{FILE_ID}.jpg?w=16&h=16&fit=cover&q=70"): ("GET", f"/i/{FILE_ID}"),
}


def rule_for(method: str, path: str) -> Route | None:
    method, path = FORMS.get((method, path), (method, path))
    return RULES.get((method, path)) or (PREFLIGHT if method == "OPTIONS" else None)


def gated(path: str) -> bool:
    """The gate resolves every key sent to the API (and counts a bad one) before routing."""
    return path.startswith(f"{A}/") and not path.startswith(f"{A}/schema")


def owns(caller: Caller, state: str) -> bool:
    return caller.account is None if state.startswith("anon") else caller.account == "owner"


ADULT = "other"  # the account allowed to lift safe mode; the owner's account is not


def outcome(route: Route, caller: Caller, state: str) -> int | None:
    """What the caller gets once past the scope check."""
    owner, stranger = OUTCOMES[route.target][state]
    found = owner if owns(caller, state) else stranger
    lifts = state == "restricted+safe-off" and caller.account == ADULT and not route.page
    if lifts and found == 403:
        found = OK  # X-Safe-Mode: off, from a key whose account allows it
    return route.ok if found == OK else found


def expected(path: str, route: Route, caller: Caller, state: str) -> int | None:
    if caller.bad:
        if gated(path) or route.scope != NOTHING:
            return 401
        caller = CALLERS[0]  # nothing looks at the key: answered as to anyone
    if route.scope == NOTHING:
        return outcome(route, caller, state)
    if caller.account is None:
        let_in = route.anonymous == STRANGER or (route.anonymous == TOKEN and "token" in state)
        return outcome(route, caller, state) if let_in else 401
    if route.scope != ANY_KEY and not caller.has(route.scope):
        return 403
    return outcome(route, caller, state)
