"""Passwords (argon2id) and random tokens (stored only as their SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shuixiao.errors import InvalidInputError
from shuixiao.service._policy import Policy, load_policy

__all__ = [
    "check_password",
    "hash_password",
    "needs_rehash",
    "new_token",
    "token_hash",
    "verify_password",
    "verify_unknown",
]

TOKEN_PREFIXES = ("sxs_", "sxa_", "sxd_")
"""Prefixes of session, API and device tokens (they make a leaked token easy to recognise and scan for)."""


@cache
def _hasher(policy: Policy) -> PasswordHasher:
    return PasswordHasher(
        time_cost=policy.argon2_time_cost,
        memory_cost=policy.argon2_memory_cost,
        parallelism=policy.argon2_parallelism,
    )


def check_password(password: str, policy: Policy | None = None) -> None:
    """Refuse a password that breaks the policy's length bounds.

    Raises
    ------
    InvalidInputError
        If it is shorter than the minimum or longer than the maximum (``shuixiao/data/service.yaml``).
    """
    policy = policy or load_policy()
    if not isinstance(password, str) or len(password) < policy.password_min_length:
        raise InvalidInputError(
            f"a password needs at least {policy.password_min_length} characters; a passphrase of a few "
            "unrelated words is easy to remember and hard to guess"
        )
    if len(password) > policy.password_max_length:
        raise InvalidInputError(f"a password may have at most {policy.password_max_length} characters")


def hash_password(password: str, policy: Policy | None = None, *, check: bool = True) -> str:
    """Return the argon2id hash (PHC string) of a password that meets the policy.

    ``check=False`` skips the policy (to rehash, at login, a password set under an older policy).

    Raises
    ------
    InvalidInputError
        If the password breaks the policy.

    Examples
    --------
    >>> hash_password("correct horse battery staple").startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    True
    """
    policy = policy or load_policy()
    if check:
        check_password(password, policy)
    return _hasher(policy).hash(password)


def verify_password(password_hash: str, password: str, policy: Policy | None = None) -> bool:
    """Return True when ``password`` matches ``password_hash`` (in constant time)."""
    try:
        return _hasher(policy or load_policy()).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, policy: Policy | None = None) -> bool:
    """Return True when a hash was made with other parameters than the policy's (rehash on login)."""
    try:
        return _hasher(policy or load_policy()).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _decoy(policy: Policy) -> str:
    return _hasher(policy).hash(secrets.token_urlsafe(32))


def verify_unknown(password: str, policy: Policy | None = None) -> None:
    """Spend the time of one verification for a login that does not exist (no timing oracle)."""
    policy = policy or load_policy()
    verify_password(_decoy(policy), password, policy)


def new_token(prefix: str, policy: Policy | None = None) -> tuple[str, str]:
    """Return a new random token with ``prefix`` and its SHA-256 (hex), which is all that is stored.

    Examples
    --------
    >>> token, digest = new_token("sxa_")
    >>> token.startswith("sxa_"), digest == token_hash(token), len(digest)
    (True, True, 64)
    """
    if prefix not in TOKEN_PREFIXES:
        raise ValueError(f"unknown token prefix {prefix!r}")
    token = prefix + secrets.token_urlsafe((policy or load_policy()).token_entropy)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """Return the SHA-256 (hex) of a token, the form in which it is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
