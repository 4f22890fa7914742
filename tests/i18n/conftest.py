import pytest
from django.utils import translation

from tests.views.test_access import world  # noqa: F401  (the access tests' world, as a fixture)


@pytest.fixture
def chinese_world(request):
    """The access tests' world, made by people reading Chinese: the messages stored on its
    requests and batches are written in the language active when they are recorded."""
    with translation.override("zh-hans"):
        return request.getfixturevalue("world")
