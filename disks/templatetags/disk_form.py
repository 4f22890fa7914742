"""Template helpers for forms: accessible widgets, and htmx live validation from the server."""

import json

from django import template

register = template.Library()


def _accessible_attrs(field) -> dict:
    attrs = {"aria-describedby": f"{field.auto_id}-errors"}
    if field.help_text:
        attrs["aria-describedby"] += f" {field.auto_id}-help"
    if field.errors:
        attrs["aria-invalid"] = "true"
    return attrs


@register.simple_tag
def field_widget(field):
    """Render a field's widget tied to its error and help text for assistive technology."""
    return field.as_widget(attrs=_accessible_attrs(field))


@register.simple_tag
def validated_widget(field, url: str):
    """Render a widget that asks the server to validate it as the user types.

    The server answers with the whole form fragment; htmx keeps only this field's error
    element (hx-select), so the rule lives in Python alone. Requests on one form queue
    behind each other rather than abort: htmx logs every aborted request as a console
    error, and a queued validation is cheap. `validate` lets app.js ask for the check when
    the browser finds the field invalid on submit.
    """
    errors_id = f"{field.auto_id}-errors"
    attrs = {
        **_accessible_attrs(field),
        "hx-post": url,
        "hx-trigger": "input changed delay:500ms, change, validate",
        "hx-vals": json.dumps({"action": "validate"}),
        "hx-target": f"#{errors_id}",
        "hx-select": f"#{errors_id}",
        "hx-swap": "outerHTML",
        "hx-sync": "closest form:queue last",
    }
    return field.as_widget(attrs=attrs)
