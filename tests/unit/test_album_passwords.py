"""Album password pieces: argon2 checks, unlock tokens, and the wrong-guess window."""

from __future__ import annotations

import time

from application.passwords import (
    PasswordChecker,
    SlidingWindowLimiter,
    hash_password,
    token_valid,
    unlock_token,
)


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
    limiter = SlidingWindowLimiter(limit=5, window=0.5)
    for _ in range(5):
        assert limiter.retry_after("alb|1.2.3.4") == 0
        limiter.wrong_guess("alb|1.2.3.4")
    wait = limiter.retry_after("alb|1.2.3.4")
    assert 0 < wait <= 0.5
    assert limiter.retry_after("alb|5.6.7.8") == 0  # other clients are not affected
    assert limiter.retry_after("other|1.2.3.4") == 0  # nor other albums
    time.sleep(wait + 0.01)
    assert limiter.retry_after("alb|1.2.3.4") == 0


def test_a_forgiven_guess_does_not_count() -> None:
    limiter = SlidingWindowLimiter(limit=2, window=60)
    limiter.wrong_guess("k")
    limiter.wrong_guess("k")
    assert limiter.retry_after("k") > 0
    limiter.forgive("k")
    assert limiter.retry_after("k") == 0
