import pytest
from django.utils import translation


@pytest.fixture
def chinese_world(request):
    """The access tests' world (tests/conftest.py), made by people reading Chinese: the messages stored on its
    requests and batches are written in the language active when they are recorded."""
    with translation.override("zh-hans"):
        return request.getfixturevalue("world")
