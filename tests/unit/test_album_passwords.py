"""Album password pieces: argon2 checks, unlock tokens, and the wrong-guess window."""

from __future__ import annotations

import asyncio
import time

import pytest

from pichr.api.errors import status_of
from pichr.api.limits.guesses import MovingWindowGuesses
from pichr.application.albums.passwords import (
    PasswordChecker,
    hash_password,
    token_valid,
    unlock_token,
)
from pichr.domain.errors import UnavailableError
from tests.support.no_services import NoServices


def test_checker_accepts_the_password_and_refuses_others() -> None:
    hashed = hash_password("correct horse")
    checker = PasswordChecker()
    assert not checker.remembered(hashed, "correct horse")
    assert checker.verify(hashed, "correct horse")
    assert checker.remembered(hashed, "correct horse")
    assert not checker.verify(hashed, "Correct horse")
    assert not checker.verify("not a hash", "correct horse")
    assert hash_password("correct horse") != hashed  # salted


def test_unlock_tokens_expire_and_die_with_the_password() -> None:
    old, new = hash_password("a"), hash_password("b")
    now = time.time()
    token = unlock_token(old, "alb_1", int(now) + 60)
    assert token_valid(old, "alb_1", token, now)
    assert not token_valid(old, "alb_2", token, now)  # another album
    assert not token_valid(new, "alb_1", token, now)  # the password changed
    assert not token_valid(old, "alb_1", token, now + 61)  # expired
    assert not token_valid(old, "alb_1", "9999999999." + "0" * 64, now)  # forged
    assert not token_valid(old, "alb_1", "garbage", now)


def test_the_sixth_wrong_guess_in_a_window_waits_until_the_first_leaves_it() -> None:
    async def scenario() -> None:
        guesses = MovingWindowGuesses(limit=5, window_seconds=1)
        for _ in range(5):
            assert await guesses.retry_after("alb|1.2.3.4") == 0
            assert await guesses.wrong_guess("alb|1.2.3.4")
        assert not await guesses.wrong_guess("alb|1.2.3.4")  # the window is full: not counted
        wait = await guesses.retry_after("alb|1.2.3.4")
        assert 0 < wait <= 1
        assert await guesses.retry_after("alb|5.6.7.8") == 0  # other clients are not affected
        assert await guesses.retry_after("other|1.2.3.4") == 0  # nor other albums
        await asyncio.sleep(wait + 0.05)
        assert await guesses.retry_after("alb|1.2.3.4") == 0

    asyncio.run(scenario())


def test_a_right_guess_forgives_the_wrong_ones() -> None:
    async def scenario() -> None:
        guesses = MovingWindowGuesses(limit=2, window_seconds=60)
        assert await guesses.wrong_guess("k")
        assert await guesses.wrong_guess("k")
        assert await guesses.retry_after("k") > 0
        await guesses.forgive("k")
        assert await guesses.retry_after("k") == 0

    asyncio.run(scenario())


def test_with_the_store_down_guesses_go_uncounted_or_are_refused(unit_guard: NoServices) -> None:
    host, port = unit_guard.dead_address()  # nothing listens there

    async def scenario(fail_closed: bool) -> None:
        down = f"redis://{host}:{port}"
        guesses = MovingWindowGuesses(
            down, "t", limit=1, window_seconds=60, fail_closed=fail_closed
        )
        assert await guesses.wrong_guess("k")
        assert await guesses.retry_after("k") == 0

    asyncio.run(scenario(False))
    with pytest.raises(UnavailableError) as refused:
        asyncio.run(scenario(True))
    assert status_of(refused.value) == 503
