"""The SVG allowlist and the diffstat bars."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from patchscope.report.pictures import BAR_WIDTH, bar, clean_svg

SVG = b"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
 "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg width="100pt" height="50pt" viewBox="0 0 100 50" onload="alert(1)"
 xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<script>alert(2)</script>
<g id="node1" class="node" onclick="alert(3)">
<title>function:mm/a.c:f</title>
<a xlink:href="javascript:alert(4)"><text x="1" y="2">inside a link</text></a>
<ellipse fill="#8dd3c7" stroke="black" cx="5" cy="5" rx="3" ry="2" style="x:url(javascript:1)"/>
<text x="1" y="2" font-size="14.00">&lt;script&gt;alert(5)&lt;/script&gt;</text>
</g>
<g id="node2" class="node"><title>function:mm/a.c:g</title></g>
<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>
</svg>
"""


def _tree(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def test_only_allowed_elements_and_attributes_remain() -> None:
    root = _tree(clean_svg(SVG, {}))
    tags = {element.tag.rpartition("}")[2] for element in root.iter()}
    assert tags == {"svg", "g", "title", "text", "ellipse"}
    attributes = {name for element in root.iter() for name in element.attrib}
    assert not {a for a in attributes if a.startswith("on") or "href" in a or a == "style"}
    assert "javascript" not in clean_svg(SVG, {})


def test_label_text_stays_escaped_text() -> None:
    markup = clean_svg(SVG, {})
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in markup
    texts = [t.text for t in _tree(markup).iter("{http://www.w3.org/2000/svg}text")]
    assert "<script>alert(5)</script>" in texts


def test_nodes_get_their_patches_classes() -> None:
    root = _tree(clean_svg(SVG, {"function:mm/a.c:f": "touched p2"}))
    groups = {
        g.findtext("{http://www.w3.org/2000/svg}title"): g.get("class")
        for g in root.iter("{http://www.w3.org/2000/svg}g")
    }
    assert groups == {"function:mm/a.c:f": "node touched p2", "function:mm/a.c:g": "node"}


def test_not_svg_is_refused() -> None:
    with pytest.raises(ValueError, match="not an SVG"):
        clean_svg(b"<html><body/></html>", {})
    with pytest.raises(ValueError, match="does not parse"):
        clean_svg(b"<svg", {})


@pytest.mark.parametrize(
    ("insertions", "deletions", "largest", "plus", "minus"),
    [
        (80, 80, 160, BAR_WIDTH // 2, BAR_WIDTH // 2),  # half each of the full width
        (1, 0, 10_000, 1, 0),  # one line stays visible beside a huge patch
        (0, 0, 0, 0, 0),
    ],
)
def test_bar_lengths(insertions: int, deletions: int, largest: int, plus: int, minus: int) -> None:
    drawn = bar(insertions, deletions, largest)
    assert (drawn.plus, drawn.minus) == (plus, minus)


def test_scale_shrinks_the_drawn_size_not_the_drawing() -> None:
    root = _tree(clean_svg(SVG, {}, scale=0.5))
    assert (root.get("width"), root.get("height")) == ("50pt", "25pt")
    assert root.get("viewBox") == "0 0 100 50"
