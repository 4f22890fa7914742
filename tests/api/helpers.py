"""Helpers of the API tests: tokens made as the page makes them, a client that sends them."""

from django.test import Client

from disks.actor import Actor
from disks.services.api_tokens import api_token_create

API = "/api/v1"


def make_token(user, scope: str, *, name: str = "ci", expires_days: int | None = None) -> str:
    """Make a token through the service; return the token itself."""
    _api_token, token = api_token_create(
        user=user, name=name, scope=scope, expires_days=expires_days, actor=Actor.system()
    )
    return token


class ApiClient:
    """Django's test client with a bearer token (if any) on every call."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params):
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path: str, body: dict | None = None, *, key: str | None = None):
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(
            API + path, body or {}, content_type="application/json", headers=headers
        )
