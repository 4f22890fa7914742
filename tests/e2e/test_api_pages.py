"""The API's pages in a real browser: Swagger UI runs under the strict CSP, and a token
made on the API tokens page works against the API."""

import re

import pytest

from tests.e2e.conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_renders_swagger_ui_with_no_csp_violation(page, helpdesk_user):
    helpdesk_user.is_staff = True
    helpdesk_user.save()
    log_in(page, helpdesk_user)
    page.get_by_role("link", name="API docs").click()
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Workspace Disk Admin API" in page.inner_text(".swagger-ui .info .title")
    page.get_by_text("/api/v1/desktops", exact=True).first.wait_for()
    violations = [error for error in page.console_errors if "Content Security Policy" in error]
    assert violations == []


def test_a_token_made_on_the_page_calls_the_api(page, helpdesk_user, synced):
    log_in(page, helpdesk_user)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("laptop script")
    page.get_by_label("Scope").select_option("helpdesk:read")
    page.get_by_role("button", name="Make token").click()
    token = page.inner_text("#token-value")
    assert re.fullmatch(r"wda_[\w-]{40,}", token)
    assert_accessible(page, "the API tokens page")
    answer = page.request.get("/api/v1/desktops", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200 and answer.json()["items"]
    page.goto("/account/api-tokens/")
    assert token not in page.content()
