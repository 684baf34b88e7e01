import pytest

from python_udfs.email_preview import load_template, render

FULL = {
    "FNAME": "Ava",
    "TOPCAT": "Cameras",
    "TIER": "offer",
    "SEGMENT": "Champions",
    "SENDHOUR": 19,
    **{f"REC{i}{k}": v for i in (1, 2, 3) for k, v in
       (("NAME", f"Lens {i}"), ("URL", f"https://x/p/{i}"), ("IMG", f"https://x/i/{i}.jpg"), ("PRICE", "£9.99"))},
}  # fmt: skip


def test_merge_tags_conditionals_and_else():
    template = (
        "Hi *|FNAME|*! *|IF:TOPCAT|*From *|TOPCAT|*.*|ELSE:|*Bestsellers.*|END:IF|* "
        "*|IFNOT:LNAME|*(no surname)*|END:IF|*"
    )
    assert render(template, {"FNAME": "Ava", "TOPCAT": "Books"}) == "Hi Ava! From Books. (no surname)"
    assert render(template, {"FNAME": "Ava", "TOPCAT": "  ", "LNAME": "X"}) == "Hi Ava! Bestsellers. "


def test_nested_blocks_and_escaping():
    template = "*|IF:A|*a*|IF:B|*b*|ELSE:|*not-b*|END:IF|**|ELSE:|*no-a*|IF:B|*hidden*|END:IF|**|END:IF|*"
    assert render(template, {"A": 1, "B": 1}) == "ab"
    assert render(template, {"A": 1}) == "anot-b"
    assert render(template, {"B": 1}) == "no-ahidden"
    assert render(template, {}) == "no-a"
    assert render("*|X|*", {"X": "<script>"}) == "&lt;script&gt;"


def test_unbalanced_blocks_are_errors():
    with pytest.raises(ValueError, match="unclosed"):
        render("*|IF:A|*x", {"A": 1})
    with pytest.raises(ValueError, match="without"):
        render("x*|END:IF|*", {})


def test_newsletter_for_a_contact_with_full_data():
    html = render(load_template(), FULL)
    assert "*|" not in html
    assert "Hi Ava," in html
    assert "Cameras" in html
    for i in (1, 2, 3):
        assert f"Lens {i}" in html
        assert f"https://x/i/{i}.jpg" in html
    assert "19:00 UTC" in html
    assert "See our bestsellers" not in html


def test_newsletter_for_a_contact_with_no_data_shows_fallbacks_not_blanks():
    html = render(load_template(), {})
    assert "*|" not in html
    assert "See our bestsellers" in html
    assert "Here is what everyone is buying" in html
    assert "10:00 UTC" in html
    assert "Segment: none" in html
    assert "Hi there," in html
