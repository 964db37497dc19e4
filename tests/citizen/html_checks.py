"""Reading a page's form the way assistive technology does: which controls are invalid, what
describes them, and what the error summary links to."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    ids: dict[str, str] = field(default_factory=dict)  # id -> text inside (for messages)
    invalid: list[dict[str, str]] = field(default_factory=list)  # attrs of aria-invalid controls
    summary_links: list[str] = field(default_factory=list)
    summary_count: int = 0


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._open: list[tuple[str, str]] = []  # (tag, id) of elements whose text we collect
        self._summary_depth = 0
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag in ("input", "select", "textarea") and attrs.get("aria-invalid") == "true":
            self.page.invalid.append(attrs)
        if "data-error-summary" in attrs:
            self.page.summary_count += 1
            self._summary_depth = 1
        elif self._summary_depth and tag not in ("input", "br", "img"):
            self._summary_depth += 1
        if self._summary_depth and tag == "a":
            self.page.summary_links.append(attrs.get("href", ""))
        if attrs.get("id"):
            self.page.ids[attrs["id"]] = ""
            if tag not in ("input", "br", "img"):
                self._open.append((tag, attrs["id"]))

    def handle_endtag(self, tag):
        if self._summary_depth:
            self._summary_depth -= 1
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data):
        for _tag, element_id in self._open:
            self.page.ids[element_id] += data


def read(body: str) -> Page:
    reader = _Reader()
    reader.feed(body)
    return reader.page


def assert_errors_are_accessible(body: str) -> Page:
    """Every invalid control is described by an element on the page that holds its message,
    and the error summary links to controls (or groups) that exist."""
    page = read(body)
    assert page.summary_count == 1, "one error summary at the top"
    assert page.invalid, "invalid controls carry aria-invalid"
    for attrs in page.invalid:
        described = attrs.get("aria-describedby", "").split()
        errors = [i for i in described if i.endswith("_error")]
        assert errors, f"{attrs.get('name')} is not described by its message"
        for element_id in errors:
            assert page.ids.get(element_id, "").strip(), f"{element_id} is missing or empty"
    for href in page.summary_links:
        assert href.startswith("#") and href[1:] in page.ids, f"summary link {href} goes nowhere"
    return page
