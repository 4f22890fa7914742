"""The results: a plain table for the terminal, and the generated part of docs/benchmarks.md."""

from pathlib import Path

START = "<!-- bench:results:start (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:results:end -->"
PROFILE_LINES = 60
FLAT_LINES = 40


def _rows(figures: dict):
    for key in sorted(figures, key=int):
        for row in figures[key]["rows"]:
            yield row.get("label", key), row


def table(figures: dict) -> str:
    header = ("#", "figure", "measured", "ratio", "target", "result")
    rows = [header] + [
        (key, row["what"], row["measured"], row["ratio"], row["target"], _verdict(row))
        for key, row in _rows(figures)
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _verdict(row: dict) -> str:
    """pass or MISS against the row's target; "reported" for a row with none (`ok` None)."""
    if row["ok"] is None:
        return "reported"
    return "pass" if row["ok"] else "MISS"


def render(context: dict, figures: dict) -> str:
    machine = context["machine"]
    lines = [
        START,
        "",
        "## Latest run",
        "",
        f"- Command: `{context['command']}`",
        f"- Date: {context['date']}; took {context['minutes']:.1f} minutes "
        f"({context['generation_minutes']:.1f} of them generating data)",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram']} RAM, "
        f"{machine['os']}; load average {context['load']}",
        f"- Software: Python {machine['python']}, PostgreSQL {machine['postgresql']}, "
        f"Django {machine['django']}, gunicorn {machine['gunicorn']}, wrk {machine['wrk']}",
        "- Setup: " + "; ".join(f"{name} {value}" for name, value in context["settings"].items()),
        "- Time per part: " + _parts(context.get("parts") or []),
        "",
        "| # | figure | measured | ratio | target | result |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for key, row in _rows(figures):
        verdict = _verdict(row)
        if verdict == "MISS":
            verdict = "**MISS**"
        lines.append(
            f"| {key} | {row['what']} | {row['measured']} | {row['ratio']} "
            f"| {row['target']} | {verdict} |"
        )
    lines.append("")
    for note in context["notes"]:
        lines.append(f"- {note}")
    if context["notes"]:
        lines.append("")
    for key in sorted(figures, key=int):
        figure = figures[key]
        lines += [f"### {key}. {figure['title']}", "", *figure["details"], ""]
        for profile in figure.get("profiles") or []:
            if profile:
                lines += _profile(profile)
    lines.append(END)
    return "\n".join(lines) + "\n"


def _parts(parts) -> str:
    """Each part's wall time (and how much of it generated data), so the total is visible."""
    shown = []
    for name, seconds, generated in parts:
        extra = f", {generated / 60:.1f} of them generating" if generated >= 30 else ""
        shown.append(f"{name} {seconds / 60:.1f} min{extra}")
    return "; ".join(shown) or "-"


def _profile(profile: dict) -> list[str]:
    tree, _, flat = profile["text"].partition("Functions by total time")
    flat_lines = ("Functions by total time" + flat).strip().splitlines()
    shown = "\n".join([*tree.strip().splitlines()[:PROFILE_LINES], "", *flat_lines[:FLAT_LINES]])
    return [
        f"<details><summary>pyinstrument: {profile['name']} ({profile['requests']} requests, "
        f"{profile['ms_per_request']:.1f} ms per request in-process, profiler on; full text in "
        f"<code>{Path(profile['output']).name}</code>)</summary>",
        "",
        "```",
        shown,
        "```",
        "",
        "</details>",
        "",
    ]


def write(path: Path, generated: str) -> None:
    """Replace the generated block of `path`, keeping what people wrote around it."""
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text = text.rstrip() + f"\n\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(before + generated.rstrip("\n") + after)
