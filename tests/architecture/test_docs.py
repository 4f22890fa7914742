"""The design lives next to the code: what the code cites exists, and the URL map is whole."""

import re

from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import REPO_ROOT

CODE = ("disks", "workspace_admin", "workspace_sim")


def test_every_document_the_code_cites_is_in_the_repository():
    cited = {
        match
        for package in CODE
        for path in (REPO_ROOT / package).rglob("*.py")
        for match in re.findall(r"\b(docs/[\w./-]+\.md|\w+\.md)\b", path.read_text())
    }
    missing = sorted(
        name for name in cited if not (REPO_ROOT / name).exists() and name != "README.md"
    )
    assert missing == [], "cite files in docs/ (or the repository's README)"


def _url_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace, pattern.name


def test_the_design_documents_every_named_url():
    design = (REPO_ROOT / "docs" / "design.md").read_text()
    url_map = design[design.index("## URL map") :]
    missing = [
        f"{namespace}{name}"
        for namespace, name in _url_names(get_resolver().url_patterns)
        if f"`{name}`" not in url_map and name not in url_map
    ]
    assert missing == [], "add these to docs/design.md's URL map"
