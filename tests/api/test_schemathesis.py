"""Property-based run of schemathesis over the OpenAPI schema, authenticated, with all of
schemathesis' response checks: no request the schema allows (or a malformed variant of it)
gets a 5xx, every status, content type, header and body is one the schema documents, the
schema-valid requests are accepted or refused with a documented status, the invalid ones
refused.

Bounded: ``STARLANE_FUZZ_EXAMPLES`` examples per operation and generation mode (default 20,
derandomized, so the suite's run is fast and reproducible); ``make fuzz`` runs it with a
budget of at least 5,000 cases in total (``STARLANE_FUZZ_MIN_CASES`` is checked).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.api.conftest import PASSWORD

MAX_EXAMPLES = int(os.environ.get("STARLANE_FUZZ_EXAMPLES", "20"))
MIN_CASES = int(os.environ.get("STARLANE_FUZZ_MIN_CASES", "0"))


def _send(tc: TestClient, case: Any, headers: dict[str, str]) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": kwargs.get("headers"),
        "params": kwargs.get("params"),
    }
    if kwargs.get("json") is not None:
        request["json"] = kwargs["json"]
    data = kwargs.get("data")
    if isinstance(data, bytes | str):
        request["content"] = data
    elif data is not None:
        request["data"] = data
    if kwargs.get("files"):
        request["files"] = kwargs["files"]
    return tc.request(**request)


def test_schemathesis_finds_no_server_error(app_factory: Callable[..., FastAPI]) -> None:
    # the billing webhook is on, so its refusals (401, 422) are fuzzed rather than its 503
    app = app_factory(
        billing_webhook_secret="whsec_"
        + base64.b64encode(b"starlane fuzzing secret, 32 b.").decode()
    )
    with TestClient(app, raise_server_exceptions=True) as tc:
        r = tc.post("/api/v1/auth/register", json={"username": "fuzzer", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['tokens']['access_token']}"}
        schema = schemathesis.openapi.from_dict(app.openapi())
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20
        checked = cases = 0
        for operation in operations:
            if operation.path == "/api/v1/auth/logout":
                continue  # a lucky valid body would log the fuzzer out; covered in test_auth
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode)

                @given(case=strategy)
                @settings(
                    max_examples=MAX_EXAMPLES,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                def run(case: Any) -> None:
                    nonlocal cases
                    cases += 1
                    response = _send(tc, case, headers)
                    assert response.status_code < 500, (case.method, case.path, response.text)
                    case.validate_response(response)  # every check schemathesis has

                try:
                    run()
                except Unsatisfiable:
                    # nothing to break (no parameters and no body): only positive cases exist
                    assert mode is GenerationMode.NEGATIVE
                    continue
                checked += 1
        assert checked >= len(operations) + 10
        assert cases >= MIN_CASES, f"{cases} cases run, {MIN_CASES} wanted"
        print(f"schemathesis: {cases} cases over {len(operations)} operations, 0 failures")
        # the fuzzer is still logged in and nothing crashed
        assert tc.get("/api/v1/me", headers=headers).status_code == 200
