"""The OpenAPI document is valid OpenAPI 3, and its docs page runs under the strict CSP."""

import re

import pytest
from django.urls import reverse
from openapi_spec_validator import validate

from tests.api.helpers import ApiClient, make_token

pytestmark = pytest.mark.django_db


def test_the_document_validates_and_names_every_endpoint(helpdesk_user):
    response = ApiClient(make_token(helpdesk_user, "helpdesk:read")).get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/v1/desktops",
        "/api/v1/desktops/{desktop_id}",
        "/api/v1/disk-types",
        "/api/v1/desktops/{desktop_id}/disk-requests",
        "/api/v1/disk-requests",
        "/api/v1/disk-requests/{request_id}",
        "/api/v1/disk-requests/{request_id}/approve",
        "/api/v1/disk-requests/{request_id}/reject",
        "/api/v1/audit-events",
        "/api/v1/desktops/{desktop_id}/volumes/{volume_id}/expand",
        "/api/v1/desktops/{desktop_id}/volume-deletions",
        "/api/v1/batches",
        "/api/v1/batches/{batch_id}/submit",
        "/api/v1/batches/{batch_id}",
    }
    create = document["paths"]["/api/v1/desktops/{desktop_id}/disk-requests"]["post"]
    assert "Idempotency-Key" in {parameter["name"] for parameter in create["parameters"]}
    assert {"201", "409", "422"} <= set(create["responses"])
    assert "BearerTokenAuth" in document["components"]["securitySchemes"]
    for path in (
        "/api/v1/desktops/{desktop_id}/volumes/{volume_id}/expand",
        "/api/v1/desktops/{desktop_id}/volume-deletions",
        "/api/v1/batches",
        "/api/v1/batches/{batch_id}/submit",
    ):
        post = document["paths"][path]["post"]
        assert "Idempotency-Key" in {parameter["name"] for parameter in post["parameters"]}, path
        assert {"403", "422"} <= set(post["responses"]), path
    kind = document["components"]["schemas"]["DiskRequestOut"]["properties"]["kind"]
    assert kind["enum"] == ["add", "expand", "delete"]


def test_the_document_needs_a_token_or_a_session(client, helpdesk_user):
    assert ApiClient().get("/openapi.json").status_code == 401
    client.force_login(helpdesk_user)
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_the_docs_page_loads_only_our_own_static_files(client, helpdesk_user):
    helpdesk_user.is_staff = True
    helpdesk_user.save()
    client.force_login(helpdesk_user)
    page = client.get(reverse("disks:api-docs"))
    assert page.status_code == 200
    html = page.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all('src="/static/' in tag for tag in scripts), "no inline script"
    assert "<style" not in html and " style=" not in html
    assert "script-src 'self'" in page["Content-Security-Policy"]
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset


def test_staff_see_the_docs_link_in_the_header(client, helpdesk_user):
    client.force_login(helpdesk_user)
    docs = reverse("disks:api-docs")
    assert docs not in client.get(reverse("disks:helpdesk-desktop-list")).content.decode()
    helpdesk_user.is_staff = True
    helpdesk_user.save()
    assert docs in client.get(reverse("disks:helpdesk-desktop-list")).content.decode()
