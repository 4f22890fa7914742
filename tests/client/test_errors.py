import pickle

import pytest

from disks.client import (
    WorkspaceBadResponse,
    WorkspaceError,
    WorkspaceRefused,
    WorkspaceUnavailable,
)


@pytest.mark.parametrize(
    "status, operation, expected",
    [
        (401, "ShowJob", "check HUAWEICLOUD_SDK_AK/SK and the clock"),
        (
            401,
            "KeystoneCreateUserTokenByPassword",
            "check IAM_USERNAME, IAM_PASSWORD and IAM_DOMAIN",
        ),
        (403, "AddDesktopVolumes", "no permission"),
        (404, "ShowDesktopDetail", "The desktop was not found"),
        (404, "ShowJob", "The job was not found"),
        (404, "DeleteDesktopVolumes", "The desktop or disk was not found"),
        (404, "ExpandDesktopVolume", "The desktop or disk was not found"),
        (409, "AddDesktopVolumes", "conflicts with the desktop's current state"),
        (429, "ShowJob", "throttling"),
        (500, "ShowJob", "internal error"),
        (503, "ShowJob", "unavailable (HTTP 503)"),
        (418, "ShowJob", "refused the request (HTTP 418)"),
    ],
)
def test_each_documented_status_has_a_human_message(status, operation, expected):
    error = WorkspaceError(operation, status=status)

    assert expected in error.human_message


def test_a_400_shows_the_apis_own_message():
    error = WorkspaceRefused(
        "AddDesktopVolumes", status=400, error_msg="Size must be a multiple of 10."
    )

    assert (
        error.human_message
        == "The Workspace API refused the request: Size must be a multiple of 10."
    )


def test_other_statuses_append_the_apis_message():
    error = WorkspaceRefused("ShowJob", status=401, error_msg="verify aksk signature fail")

    assert error.human_message.endswith("(verify aksk signature fail)")


def test_str_names_operation_status_code_and_request_id():
    error = WorkspaceRefused(
        "AddDesktopVolumes", status=400, error_code="WKS.0407", error_msg="busy", request_id="r-1"
    )

    assert str(error) == (
        "AddDesktopVolumes: The Workspace API refused the request: busy "
        "[HTTP 400, WKS.0407, request r-1]"
    )


def test_the_kinds_say_retry_later_or_refused():
    assert issubclass(WorkspaceUnavailable, WorkspaceError)
    assert issubclass(WorkspaceRefused, WorkspaceError)
    assert issubclass(WorkspaceBadResponse, WorkspaceUnavailable)
    assert not issubclass(WorkspaceRefused, WorkspaceUnavailable)


def test_errors_survive_pickling():
    error = WorkspaceUnavailable(
        "AddDesktopVolumes", status=503, request_id="r-2", outcome_unknown=True, retry_after=4.0
    )

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own object)

    assert type(copy) is WorkspaceUnavailable
    assert (copy.status, copy.request_id, copy.outcome_unknown, copy.retry_after) == (
        503,
        "r-2",
        True,
        4.0,
    )
    assert str(copy) == str(error)


def test_a_403_naming_a_quota_is_a_quota_refusal_not_a_permission_problem():
    error = WorkspaceRefused(
        "AddVolumes", status=403, error_code="WKS.X", error_msg="Insufficient volumes quota."
    )

    assert error.quota_exceeded
    assert error.human_message == (
        "The tenant's disk quota does not allow this: Insufficient volumes quota."
    )


def test_a_403_without_a_quota_is_a_permission_problem():
    error = WorkspaceRefused("AddVolumes", status=403, error_msg="Policy doesn't allow it.")

    assert not error.quota_exceeded
    assert "no permission" in error.human_message
