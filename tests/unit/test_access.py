"""The access decision (domain/access.py) as pure functions: who may see, change or delete a
file, and the list rule that the SQL twin (projections/queries/access_sql.py) must equal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pichr.domain.access import (
    FileFacts,
    adult,
    check_change,
    check_delete,
    check_file,
    check_hotlink,
    check_uploader,
    listed,
    require_delete,
    require_read,
    require_scope,
)
from pichr.domain.errors import (
    DomainError,
    ForbiddenError,
    GoneError,
    LegalHoldError,
    NotFoundError,
    NotReadyError,
    RestrictedError,
    UnauthenticatedError,
)
from pichr.domain.principal import NOBODY, Principal

NOW = datetime(2026, 12, 1, tzinfo=UTC)
OWNER = Principal("usr_owner", "key_o", frozenset({"read", "upload", "write"}))
OTHER = Principal("usr_other", "key_x", frozenset({"read", "write"}), safe_mode_optional=True)
READY = FileFacts("file_1", "usr_owner", "public", "ready", analyzed=True, nsfw_score=0.1)
STATUSES = ["pending", "uploaded", "ready", "rejected", "deleted", "expired", "abandoned",
            "banned", "quarantined", "blocked"]  # fmt: skip


def refusal(facts: FileFacts, who: Principal, **kw: object) -> type[DomainError] | None:
    args = {"now": NOW, "adult": False, "threshold": 0.8, **kw}
    try:
        check_file(facts, who, **args)  # type: ignore[arg-type]
    except DomainError as exc:
        return type(exc)
    return None


@pytest.mark.parametrize(
    ("who", "scope", "error"),
    [
        (NOBODY, "read", UnauthenticatedError),
        (Principal("usr_1", "key_1", frozenset({"upload"})), "read", ForbiddenError),
        (Principal("usr_1", "key_1", frozenset({"admin"})), "write", None),
        (OWNER, "write", None),
    ],
)
def test_a_route_needs_a_key_with_its_scope(
    who: Principal, scope: str, error: type[DomainError] | None
) -> None:
    if error is None:
        require_scope(who, scope)
    else:
        with pytest.raises(error):
            require_scope(who, scope)


def test_anonymous_readers_pass_but_a_key_without_read_does_not() -> None:
    require_read(NOBODY)
    with pytest.raises(ForbiddenError):
        require_read(Principal("usr_1", "key_1", frozenset({"upload"})))


def test_a_key_always_needs_write_to_delete_even_with_a_delete_token() -> None:
    read_only = Principal("usr_1", "key_1", frozenset({"read"}))
    for token in (True, False):
        with pytest.raises(ForbiddenError):
            require_delete(read_only, token=token)
    require_delete(NOBODY, token=True)
    with pytest.raises(UnauthenticatedError):
        require_delete(NOBODY, token=False)


def test_a_wrong_delete_token_falls_back_only_to_the_owner_rule() -> None:
    anonymous_upload = replace(READY, owner_id=None)
    check_delete(anonymous_upload, NOBODY, token_ok=True)
    with pytest.raises(ForbiddenError):
        check_delete(anonymous_upload, NOBODY, token_ok=False)
    with pytest.raises(NotFoundError):
        check_delete(replace(anonymous_upload, visibility="private"), NOBODY, token_ok=False)


@pytest.mark.parametrize(
    ("facts", "who", "error"),
    [
        (READY, OTHER, None),
        (replace(READY, visibility="private"), OTHER, NotFoundError),
        (replace(READY, visibility="private"), OWNER, None),
        (replace(READY, status="quarantined"), OWNER, LegalHoldError),
        (replace(READY, status="blocked"), OTHER, LegalHoldError),
        (replace(READY, status="banned"), OTHER, GoneError),
        (replace(READY, status="deleted"), OWNER, GoneError),
        (replace(READY, expires_at=NOW - timedelta(seconds=1)), OTHER, GoneError),
        (replace(READY, status="pending", analyzed=False), OTHER, NotFoundError),
        (replace(READY, status="pending", analyzed=False), OWNER, None),
        (replace(READY, status="rejected"), OWNER, NotFoundError),
        (replace(READY, analyzed=False), OTHER, NotFoundError),
        (replace(READY, analyzed=False), OWNER, None),
        (replace(READY, nsfw_score=0.9), OWNER, RestrictedError),
        (replace(READY, age_restricted=True), OTHER, RestrictedError),
    ],
)
def test_who_sees_a_files_record(
    facts: FileFacts, who: Principal, error: type[DomainError] | None
) -> None:
    assert refusal(facts, who) is error


def test_bytes_wait_for_the_analysis_even_for_the_owner() -> None:
    assert refusal(replace(READY, analyzed=False), OWNER, serving_bytes=True) is NotReadyError
    failed = replace(READY, analysis_failed=True)
    assert refusal(failed, OWNER, serving_bytes=True) is NotReadyError
    assert refusal(replace(READY, status="pending"), OWNER, serving_bytes=True) is NotFoundError
    assert refusal(READY, NOBODY, serving_bytes=True) is None


def test_safe_mode_comes_off_only_for_a_key_whose_account_allows_it() -> None:
    assert adult(OTHER, asked_off=True)
    assert not adult(OTHER, asked_off=False)
    assert not adult(OWNER, asked_off=True)  # its account has not allowed it
    assert not adult(NOBODY, asked_off=True)
    restricted = replace(READY, nsfw_score=0.95)
    assert refusal(restricted, OTHER, adult=adult(OTHER, asked_off=True)) is None


@pytest.mark.parametrize(
    ("facts", "who", "error"),
    [
        (READY, OWNER, None),
        (READY, OTHER, ForbiddenError),
        (replace(READY, visibility="private"), OTHER, NotFoundError),
        (replace(READY, status="pending"), OTHER, NotFoundError),
        (replace(READY, status="deleted"), OTHER, GoneError),
        (replace(READY, status="quarantined"), OWNER, LegalHoldError),
    ],
)
def test_only_the_owner_changes_a_file(
    facts: FileFacts, who: Principal, error: type[DomainError] | None
) -> None:
    if error is None:
        check_change(facts, who)
    else:
        with pytest.raises(error):
            check_change(facts, who)


def test_only_the_uploader_puts_the_bytes() -> None:
    check_uploader(READY, OWNER, proof=False)
    with pytest.raises(NotFoundError):
        check_uploader(READY, OTHER, proof=True)  # an account's upload: its account only
    check_uploader(replace(READY, owner_id=None), NOBODY, proof=True)
    with pytest.raises(NotFoundError):
        check_uploader(replace(READY, owner_id=None), OTHER, proof=False)


def test_hotlinks_follow_the_files_policy() -> None:
    check_hotlink("allow", [], "elsewhere.example", "img.example")
    check_hotlink("block", [], None, "img.example")
    check_hotlink("block", [], "img.example", "img.example")
    check_hotlink("whitelist", ["blog.example"], "blog.example", "img.example")
    for policy in ("block", "whitelist"):
        with pytest.raises(ForbiddenError):
            check_hotlink(policy, ["blog.example"], "elsewhere.example", "img.example")


facts_strategy = st.builds(
    FileFacts,
    file_id=st.just("file_1"),
    owner_id=st.sampled_from([None, "usr_owner", "usr_other"]),
    visibility=st.sampled_from(["public", "unlisted", "private"]),
    status=st.sampled_from(STATUSES),
    expires_at=st.sampled_from([None, NOW - timedelta(hours=1), NOW + timedelta(hours=1)]),
    analyzed=st.booleans(),
    analysis_failed=st.booleans(),
    nsfw_score=st.sampled_from([None, 0.0, 0.79, 0.8, 1.0]),
    age_restricted=st.booleans(),
)


@given(facts_strategy, st.sampled_from([OWNER, OTHER, NOBODY]), st.booleans())
def test_a_list_shows_exactly_the_files_whose_record_the_caller_may_see(
    facts: FileFacts, who: Principal, grown_up: bool
) -> None:
    shown = listed(facts, who, now=NOW, adult=grown_up, threshold=0.8)
    assert shown == (refusal(facts, who, adult=grown_up) is None)
