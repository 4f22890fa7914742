"""The user name the desktops use, from what people type or what a directory sends."""


def username_normalise(raw: str) -> str:
    """Return "alice" for "CORP\\Alice", "alice@corp.example.com" and " Alice ".

    Desktops are attached to the bare account name (DesktopUser rows are lower-cased), so a
    directory user's local record is named that way and the portal finds their desktops.
    """
    name = (raw or "").strip()
    if "\\" in name:
        name = name.rsplit("\\", 1)[1]
    if "@" in name:
        name = name.split("@", 1)[0]
    return name.strip().casefold()


def axes_username(request, credentials: dict | None) -> str:
    """django-axes' AXES_USERNAME_CALLABLE: count "CORP\\alice" and "alice" as one name.

    Otherwise each spelling of a name would get its own allowance of failed attempts.
    """
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username", "")
    return username_normalise(str(raw or ""))
