from __future__ import annotations

import json

import pytest

from middlepath.accounts.services import create_api_token


@pytest.fixture
def api(client):
    """api(user) -> call(method, path, body=None, **query) with that user's bearer token."""

    def for_user(user):
        _, key = create_api_token(by=user, name="tests")

        def call(method: str, path: str, body=None, **params):
            kwargs = {"headers": {"Authorization": f"Bearer {key}"}}
            if body is not None:
                kwargs.update(
                    data=body if isinstance(body, str) else json.dumps(body, default=str),
                    content_type="application/json",
                )
            elif params:
                kwargs["data"] = params
            return getattr(client, method)(f"/api/v1{path}", **kwargs)

        return call

    return for_user
