"""Property-based fuzzing of /api/v1 against its own OpenAPI document (schemathesis): never a 500.

Each operation gets a bounded number of generated requests (``MAX_EXAMPLES``), sent as an
administrator (who reaches every code path) with a token issued afresh for each request, so that a
generated ``DELETE /tokens/{id}`` or ``PATCH /users/{login}`` cannot lock the fuzzer out.  The whole
module runs in well under a minute on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from shuixiao.service._secrets import new_token
from shuixiao.storage import AccountStore, Store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAX_EXAMPLES = 25


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The two tenants on SQLite, with an administrator kept for the fuzzer."""
    build_world = request.getfixturevalue("world_builder")
    directory: Path = tmp_path_factory.mktemp("fuzz")
    with Store.open(f"sqlite:///{directory}/shuixiao.db") as store:
        store.upgrade()
        world = build_world(store, directory)
        user = AccountStore(store).create_user(
            "fuzzer", "fuzzer", "$argon2id$unused", "admin", "platform", None
        )
        world.ids["fuzzer"] = user.id
        yield world


def _fresh_admin_token(world: Any) -> str:
    accounts = AccountStore(world.store)
    fuzzer = world.ids["fuzzer"]
    user = accounts.get_user(fuzzer)
    if not user.active or user.role != "admin":
        accounts.update_user(fuzzer, active=True, role="admin", scope_kind="platform", scope_id=None)
    token, digest = new_token("sxa_")
    accounts.add_api_token(digest, fuzzer, "fuzz", "test")
    return token


def test_no_server_errors(fuzz_world: Any) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzz_world.app)
    failures: list[str] = []
    calls: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 25

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            token = (
                fuzz_world.tokens["device"]
                if case.path.startswith("/api/v1/ingest/")
                else _fresh_admin_token(fuzz_world)
            )
            calls.append(case.method)
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
                )
            elif response.status_code >= 400:
                media = (response.headers.get("content-type") or [""])[0]
                assert media.startswith(("application/problem+json", "application/json")), media

        run()
    assert len(calls) > 10 * len(operations)
    assert not failures, "\n".join(failures[:20])
