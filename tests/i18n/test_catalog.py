"""Every word a person reads is marked for translation, and the Chinese catalog is complete.

The scanners are in tests/i18n/scan.py; the first tests prove they catch what they must, the
next ones run them over the product. The catalog tests read locale/zh_Hans/LC_MESSAGES/*.po:
no entry untranslated or fuzzy, the same placeholders in msgstr as in msgid, and the same
msgids as a fresh `makemessages` of the sources (`make messages` refreshes the catalog).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.i18n.scan import python_findings, template_findings

ROOT = Path(settings.BASE_DIR)
CATALOG = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"

# The arguments `make messages` gives makemessages (Makefile): what is not the product.
IGNORED = ["tests/*", "bench/*", "workspace_sim/*", "static/vendor/*", "docs/*", "node_modules/*"]

# Management commands whose output only developers read, or that print configuration values
# rather than sentences. Each with its reason.
COMMANDS_NOT_TRANSLATED = {
    "rundev.py": "the development server's launcher (DEBUG only)",
    "generate_audit_events.py": "made-up data for development and benchmarks (DEBUG only)",
    "generate_desktops.py": "made-up data for development and benchmarks (DEBUG only)",
    "directory_check.py": "an administrator's dump of LDAP/OIDC settings and values",
    "workspace_check.py": "an administrator's dump of the cloud endpoint settings",
    "verify_audit.py": "hashes and sequence numbers for scripts; its verdict is translated",
    "audit_checkpoint.py": "a file name and a hash for scripts",
    "reconcile_requests.py": "a count in a cron log",
}


# --- The scanners catch what they must ------------------------------------------------------


def test_the_template_scanner_finds_text_outside_translate_tags():
    sample = """{% load i18n %}
<h1>{% translate "Desktops" %}</h1>
<p>Disks of {{ desktop.name }}</p>
<a href="/" title="Go home">{% translate "Home" %}</a>
<button aria-label="{% translate 'Close' %}">&times;</button>
{% blocktranslate %}Fine {{ x }}{% endblocktranslate %}
{{ value|default:"nothing yet" }}
{# a comment is fine #}<script>var fine = "code";</script>
<span>42 GB</span>"""
    found = {finding.text for finding in template_findings(sample, "sample.html")}
    assert found == {"Disks of", "Go home", "nothing yet"}


def test_the_python_scanner_finds_unmarked_strings_meant_for_people():
    sample = """
from django.contrib import messages
from django.utils.translation import gettext as _

class Status(models.TextChoices):
    DONE = "done", "Done"
    FAILED = "failed", _("Failed")

def view(request, n):
    messages.success(request, f"Saved {n} disks.")
    messages.error(request, _("Could not save."))
    raise ValidationError("Too big.")

field = forms.IntegerField(label="Size", help_text=_("In GB."), error_messages={"min_value": "Too small"})
"""
    found = {finding.text for finding in python_findings(sample, "sample.py")}
    assert found == {"'Done'", "f'Saved {n} disks.'", "'Too big.'", "'Size'", "'Too small'"}


def test_the_python_scanner_reads_command_output_in_commands():
    sample = (
        'class Command:\n    def handle(self):\n        self.stdout.write(f"{n} desktops synced")\n'
    )
    assert python_findings(sample, "x.py", is_command=True)
    assert not python_findings(sample, "x.py", is_command=False)


# --- The product ----------------------------------------------------------------------------


def template_files() -> list[Path]:
    return sorted(path for path in (ROOT / "templates").rglob("*") if path.is_file())


def python_files() -> list[Path]:
    return sorted(
        path
        for path in (ROOT / "disks").rglob("*.py")
        if "migrations" not in path.parts and path.name not in COMMANDS_NOT_TRANSLATED
    )


def test_templates_have_no_text_outside_translate_tags():
    findings = [
        str(finding)
        for path in template_files()
        for finding in template_findings(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert not findings, "Mark these with {% translate %} or {% blocktranslate %}:\n" + "\n".join(
        findings
    )


def test_python_strings_meant_for_people_are_marked():
    findings = [
        str(finding)
        for path in python_files()
        for finding in python_findings(
            path.read_text(), str(path.relative_to(ROOT)), is_command="management" in path.parts
        )
    ]
    assert not findings, "Wrap these in gettext / gettext_lazy:\n" + "\n".join(findings)


# --- The catalog ----------------------------------------------------------------------------


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (a list), flags.

    An entry ends at a blank line or where the next one's comment, msgctxt or msgid starts
    (makemessages writes the djangojs header without a blank line after it).
    """
    entries: list[dict] = []
    entry: dict = {}
    field = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        starts_entry = line.startswith(("#", "msgctxt", "msgid ")) and "msgstr" in entry
        if not line.strip() or starts_entry:
            if "msgid" in entry:
                entries.append(entry)
            entry, field = {}, ""
        if line.startswith("#,"):
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith('"') and field == "msgstr":
            entry["msgstr"][-1] += _unquote(line)
        elif line.startswith('"') and field:
            entry[field] += _unquote(line)
        elif line.startswith("msg"):
            keyword, _space, rest = line.partition(" ")
            field = "msgstr" if keyword.startswith("msgstr") else keyword
            if field == "msgstr":
                entry.setdefault("msgstr", []).append(_unquote(rest))
            else:
                entry[keyword] = _unquote(rest)
    if "msgid" in entry:
        entries.append(entry)
    return [e for e in entries if e["msgid"] != ""]  # not the header


def _unquote(text: str) -> str:
    return text.strip()[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def key(entry: dict) -> tuple[str, str]:
    return entry.get("msgctxt", ""), entry["msgid"]


PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{\{\s*\w+\s*\}\}|\{(\w*)\}")


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0).replace(" ", "") for match in PLACEHOLDER.finditer(text))


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_chinese_catalog_is_complete(domain):
    entries = read_po(CATALOG / f"{domain}.po")
    assert entries
    untranslated = [e["msgid"] for e in entries if not all(e.get("msgstr", [""]))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", set())]
    assert not untranslated, f"untranslated in {domain}.po: {untranslated}"
    assert not fuzzy, f"fuzzy in {domain}.po: {fuzzy}"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_translations_keep_the_placeholders(domain):
    wrong = []
    for entry in read_po(CATALOG / f"{domain}.po"):
        expected = placeholders(entry["msgid"])
        plural = placeholders(entry.get("msgid_plural", entry["msgid"]))
        for msgstr in entry.get("msgstr", []):
            if placeholders(msgstr) not in (expected, plural):
                wrong.append((entry["msgid"], msgstr))
    assert not wrong, wrong


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_catalog_matches_the_sources(domain, tmp_path):
    """A fresh makemessages finds the same msgids as the committed catalog: no string added
    to the code without a translation, none left over from removed code."""
    for name in ("disks", "templates", "static", "workspace_admin", "manage.py"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "locale").mkdir()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
            call_command(
                "makemessages",
                locale=["zh_Hans"],
                domain=domain,
                symlinks=True,
                ignore_patterns=IGNORED,
                verbosity=0,
            )
    finally:
        os.chdir(cwd)
    fresh = {key(e) for e in read_po(tmp_path / "locale/zh_Hans/LC_MESSAGES" / f"{domain}.po")}
    committed = {key(e) for e in read_po(CATALOG / f"{domain}.po")}
    assert sorted(fresh - committed) == [], "not in the catalog: run make messages, translate"
    assert sorted(committed - fresh) == [], "no longer in the sources: run make messages"
