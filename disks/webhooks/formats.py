"""What an event looks like on the wire, per endpoint format.

Generic JSON is the event itself. The group robots get a short message in their own
documented shapes:
- WeCom: {"msgtype": "markdown", "markdown": {"content": ...}}
  (https://developer.work.weixin.qq.com/document/path/91770)
- DingTalk: {"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}
  (https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages)
- Feishu: {"msg_type": "text", "content": {"text": ...}}
  (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot)
"""

from typing import Any

from django.utils.translation import gettext as _

from disks.models import WebhookEndpoint, WebhookEvent

Format = WebhookEndpoint.Format


def render(format_: str, event: dict[str, Any]) -> dict[str, Any]:
    """The body to send for `event` (the generic payload) in `format_`."""
    if format_ == Format.GENERIC:
        return event
    title = _title(event)
    lines = _lines(event)
    if format_ == Format.WECOM:
        return {"msgtype": "markdown", "markdown": {"content": "\n".join([f"**{title}**", *lines])}}
    if format_ == Format.DINGTALK:
        text = "\n\n".join([f"### {title}", *lines])
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if format_ == Format.FEISHU:
        return {"msg_type": "text", "content": {"text": "\n".join([title, *lines])}}
    raise ValueError(f"unknown webhook format {format_!r}")


def _title(event: dict[str, Any]) -> str:
    label = dict(WebhookEvent.choices).get(event["type"], event["type"])
    data = event.get("data", {})
    if "batch" in data:
        return f"{label}: #{data['batch'].get('id', '?')}"
    request = data.get("disk_request") or {}
    return f"{label}: #{request.get('id', '?')} {request.get('desktop_name', '')}".strip()


def _lines(event: dict[str, Any]) -> list[str]:
    data = event.get("data", {})
    if "batch" in data:
        return _batch_lines(data["batch"])
    request = data.get("disk_request") or {}
    # In the site's language (LANGUAGE_CODE): the worker sends these, for a whole chat group.
    lines = [
        _("Status: %(status)s") % {"status": request.get("status", "")},
        _("Requested by: %(name)s") % {"name": request.get("requested_by", "")},
    ]
    disks = _disks(request)
    if disks:
        lines.append(_("Disks: %(disks)s") % {"disks": disks})
    if request.get("error_message"):
        lines.append(_("Reason: %(reason)s") % {"reason": request["error_message"]})
    if request.get("url"):
        lines.append(str(request["url"]))
    return lines


def _batch_lines(batch: dict[str, Any]) -> list[str]:
    lines = [
        _("Desktops: %(succeeded)s succeeded, %(failed)s failed, %(skipped)s skipped")
        % {
            "succeeded": batch.get("succeeded", 0),
            "failed": batch.get("failed", 0),
            "skipped": batch.get("skipped", 0),
        },
        _("Started by: %(name)s") % {"name": batch.get("created_by", "")},
    ]
    disks = _disks(batch)
    if disks:
        lines.append(_("Disks for each desktop: %(disks)s") % {"disks": disks})
    if batch.get("url"):
        lines.append(str(batch["url"]))
    return lines


def _disks(subject: dict[str, Any]) -> str:
    return ", ".join(f"{v.get('type')} {v.get('size')} GB" for v in subject.get("volumes", []))
