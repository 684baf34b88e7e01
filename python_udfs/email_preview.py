"""Render Mailchimp-style merge tags, so a marketer can see what the data produces.

Supports the subset of Mailchimp's merge language that templates for this
project use:

* ``*|TAG|*``: the field's value, HTML-escaped; empty when missing;
* ``*|IF:TAG|* ... *|ELSE:|* ... *|END:IF|*``: a block shown when the field has
  a value (ELSE optional, blocks may nest);
* ``*|IFNOT:TAG|* ... *|END:IF|*``: shown when it has none.

Unknown tags render empty rather than leaking ``*|...|*`` into an email.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path

TEMPLATE_DIR = Path(__file__).parent / "templates"
_TOKEN = re.compile(r"\*\|(IF|IFNOT):([A-Z0-9_]+)\|\*|\*\|ELSE:\|\*|\*\|END:IF\|\*|\*\|([A-Z0-9_]+)\|\*")


def _has_value(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def render(template: str, fields: Mapping[str, object]) -> str:
    """Render a template against one member's merge fields (keys are merge tags)."""
    out: list[str] = []
    # a stack of (showing the current branch, whether the enclosing block shows)
    stack: list[tuple[bool, bool]] = []
    showing = True
    pos = 0
    for m in _TOKEN.finditer(template):
        if showing:
            out.append(template[pos : m.start()])
        pos = m.end()
        token = m.group(0)
        if m.group(1):  # IF / IFNOT
            present = _has_value(fields.get(m.group(2)))
            condition = present if m.group(1) == "IF" else not present
            stack.append((condition, showing))
            showing = showing and condition
        elif token == "*|ELSE:|*":
            if not stack:
                raise ValueError("*|ELSE:|* without *|IF:...|*")
            condition, parent = stack[-1]
            stack[-1] = (not condition, parent)
            showing = parent and not condition
        elif token == "*|END:IF|*":
            if not stack:
                raise ValueError("*|END:IF|* without *|IF:...|*")
            _, showing = stack.pop()
        elif showing:
            value = fields.get(m.group(3))
            out.append(html.escape(str(value)) if _has_value(value) else "")
    if stack:
        raise ValueError("unclosed *|IF:...|* block")
    if showing:
        out.append(template[pos:])
    return "".join(out)


def load_template(name: str = "newsletter.html") -> str:
    return (TEMPLATE_DIR / name).read_text(encoding="utf-8")
