"""Find text meant for people that is not marked for translation.

Two scanners, each fed source text so that a test can prove it catches a sample:

- `template_findings` walks a template with Django's own Lexer. Text outside
  {% translate %}/{% blocktranslate %} is stripped of markup, comments, scripts and styles; what
  is left (and the values of title, alt, placeholder and aria-* attributes, and string
  literals given to `default:`) must not hold a word.
- `python_findings` walks a module's AST for the places a string reaches a person: messages.*,
  ValidationError, CommandError, HttpResponse*, form fields' label/help_text/error_messages,
  verbose_name, TextChoices labels, problem titles, `self.stdout.write`/`stderr.write` in
  management commands. A bare string (or f-string) there is a finding; a call of gettext,
  gettext_lazy, pgettext, ngettext and friends is not.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from django.template.base import Lexer, TokenType

# A word: two letters or more (one letter is an icon name's or unit's business).
WORD = re.compile(r"[A-Za-z]{2,}")

# Words that read the same in both languages. Each with its reason.
ALLOWED_WORDS = {
    "GB": "a unit, as the Huawei Cloud console writes it in Chinese too",
    "TB": "a unit",
    "MB": "a unit (MB/s)",
    "IOPS": "the cloud's own name for the figure",
    "ID": "the console writes ID in Chinese too",
    "UTC": "a time zone's name",
    "API": "the console writes API in Chinese too",
    "CSV": "a file format",
    "JSON": "a file format",
    "SSO": "a product term, kept in Chinese",
    "HMAC": "an algorithm's name",
    "SHA": "an algorithm's name (HMAC-SHA256)",
    "OpenAPI": "a standard's name",
    "Swagger": "a tool's name",
    "Webhook": "the console writes Webhook in Chinese too",
    "Workspace": "the cloud service's name",
    "Huawei": "the brand",
    "Cloud": "the brand (Huawei Cloud)",
    "htmx": "a library's name",
    "diskmgmt": "a Windows program's file name",
    "msc": "a Windows program's file name",
}

# Whole pieces of text that are not words to translate. Each with its reason.
ALLOWED_TEXT = {
    "en": "a language code: <html lang>'s fallback",
    "/dev/vda": "a device path",
}

# Attributes whose values a person reads (or hears).
READ_ATTRIBUTES = re.compile(
    r"""\s(?:title|alt|placeholder|aria-label|aria-description|aria-roledescription|"""
    r"""data-label-[a-z-]+|data-confirm|data-copied)\s*=\s*("[^"]*"|'[^']*')""",
    re.IGNORECASE,
)
SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
TAG = re.compile(r"<[^>]*>", re.DOTALL)
ENTITY = re.compile(r"&#?\w+;")
DEFAULT_LITERAL = re.compile(r"""\|default:(?P<q>["'])(?P<text>.*?)(?P=q)""")


@dataclass(frozen=True)
class Finding:
    where: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.text!r}"


def has_words(text: str) -> bool:
    """True when the text holds a word a person reads, not only allowed words."""
    return any(word not in ALLOWED_WORDS for word in WORD.findall(text))


def _blank(match: re.Match[str]) -> str:
    """The match replaced by spaces, its newlines kept, so offsets still give line numbers."""
    return re.sub(r"[^\n]", " ", match.group(0))


def template_findings(source: str, where: str = "<template>") -> list[Finding]:
    """Text in a template outside the translate tags.

    Every tag, variable and comment, and all text inside {% blocktranslate %} or {% comment %},
    is replaced by NUL characters of the same length; the HTML left is then read as a whole,
    so that an attribute whose value is a {% translate %} tag is still one tag.
    """
    findings: list[Finding] = []
    masked: list[str] = []
    inside_translation = 0
    inside_comment = 0
    for token in Lexer(source).tokenize():
        raw = source[token.position[0] : token.position[1]] if token.position else token.contents
        content = token.contents
        hidden = re.sub(r"[^\n]", "\x00", raw)
        if token.token_type == TokenType.BLOCK:
            name = content.split(" ", 1)[0]
            if name in {"blocktranslate", "blocktrans"}:
                inside_translation += 1
            elif name in {"endblocktranslate", "endblocktrans"}:
                inside_translation -= 1
            elif name == "comment":
                inside_comment += 1
            elif name == "endcomment":
                inside_comment -= 1
            masked.append(hidden)
            continue
        if token.token_type == TokenType.VAR and not (inside_translation or inside_comment):
            for match in DEFAULT_LITERAL.finditer(content):
                if has_words(match.group("text")) and match.group("text") not in ALLOWED_TEXT:
                    findings.append(Finding(where, token.lineno, match.group("text")))
        if token.token_type != TokenType.TEXT or inside_translation or inside_comment:
            masked.append(hidden)
            continue
        masked.append(raw)
    text = "".join(masked)
    text = SCRIPT_OR_STYLE.sub(_blank, HTML_COMMENT.sub(_blank, text))

    def report(offset: int, words: str) -> None:
        words = " ".join(ENTITY.sub(" ", words).replace("\x00", " ").split())
        if has_words(words) and words not in ALLOWED_TEXT:
            findings.append(Finding(where, text.count("\n", 0, offset) + 1, words))

    position = 0
    for tag in TAG.finditer(text):
        report(position, text[position : tag.start()])
        for attribute in READ_ATTRIBUTES.finditer(tag.group(0)):
            report(tag.start() + attribute.start(), attribute.group(1)[1:-1])
        position = tag.end()
    report(position, text[position:])
    return sorted(findings, key=lambda finding: finding.line)


# --- Python -------------------------------------------------------------------------------

TRANSLATING_CALLS = {
    "_",
    "gettext",
    "gettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "npgettext",
    "npgettext_lazy",
    "format_lazy",
    "mark_safe",  # only ever around already-translated text here
    "format_html",  # its format string is checked where it is a literal
}
MESSAGE_FUNCTIONS = {"info", "success", "warning", "error", "debug", "add_message"}
PEOPLE_KEYWORDS = {
    "label",
    "help_text",
    "verbose_name",
    "verbose_name_plural",
    "empty_label",
    "title",
    "detail",
    "message",
}
PEOPLE_CALLS = {
    "ValidationError",
    "CommandError",
    "HttpResponse",
    "HttpResponseBadRequest",
    "HttpResponseForbidden",
    "HttpResponseNotFound",
    "PermissionDenied",
    "Http404",
}


# Python strings that are not words to translate. Each with its reason.
ALLOWED_PYTHON = {
    "Workspace Disk Admin API": "the OpenAPI document's title: a product name programs read",
}


def call_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def unmarked(node: ast.expr | None) -> bool:
    """A literal (or f-string, or concatenation of them) with words, not wrapped in gettext."""
    if node is None:
        return False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return has_words(node.value) and node.value not in ALLOWED_PYTHON
    if isinstance(node, ast.JoinedStr):
        return has_words(
            "".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
        )
    if isinstance(node, ast.BinOp):  # "..." % x, "a" + "b"
        return unmarked(node.left) or (isinstance(node.op, ast.Add) and unmarked(node.right))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        return unmarked(node.func.value)
    if isinstance(node, ast.IfExp):
        return unmarked(node.body) or unmarked(node.orelse)
    return False


def literal_text(node: ast.expr) -> str:
    try:
        return ast.unparse(node)[:80]
    except Exception:  # pragma: no cover - unparse handles every expression we meet
        return "?"


class _Visitor(ast.NodeVisitor):
    def __init__(self, where: str, is_command: bool) -> None:
        self.where = where
        self.is_command = is_command
        self.findings: list[Finding] = []
        self.choices_depth = 0

    def flag(self, node: ast.expr) -> None:
        self.findings.append(Finding(self.where, node.lineno, literal_text(node)))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        is_choices = any(
            call_name(base) in {"TextChoices", "IntegerChoices", "Choices"} for base in node.bases
        )
        if is_choices:
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple):
                    elements = statement.value.elts
                    if len(elements) >= 2 and unmarked(elements[-1]):
                        self.flag(elements[-1])
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = call_name(node.func)
        if name in TRANSLATING_CALLS:
            # What is inside is marked; don't look for people's strings in it.
            for argument in node.args[1:]:
                self.visit(argument)
            return
        arguments: list[ast.expr] = []
        if name in PEOPLE_CALLS:
            arguments += node.args[:1]
        if (
            name in MESSAGE_FUNCTIONS
            and isinstance(node.func, ast.Attribute)
            and call_name(node.func.value) == "messages"
        ):
            arguments += node.args[1:2] if name != "add_message" else node.args[2:3]
        if self.is_command and name in {"write"} and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if isinstance(target, ast.Attribute) and target.attr in {"stdout", "stderr"}:
                arguments += node.args[:1]
        for keyword in node.keywords:
            if keyword.arg in PEOPLE_KEYWORDS:
                arguments.append(keyword.value)
            if keyword.arg == "error_messages" and isinstance(keyword.value, ast.Dict):
                arguments += [value for value in keyword.value.values if value is not None]
        for argument in arguments:
            if unmarked(argument):
                self.flag(argument)
        self.generic_visit(node)


def python_findings(
    source: str, where: str = "<module>", *, is_command: bool = False
) -> list[Finding]:
    """Strings meant for people in a Python module that are not marked for translation."""
    visitor = _Visitor(where, is_command)
    visitor.visit(ast.parse(source))
    return visitor.findings
