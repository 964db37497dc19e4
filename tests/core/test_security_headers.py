"""Every page carries a Content-Security-Policy that allows no inline or foreign script, and a
Permissions-Policy; stored files keep their own, stricter sandbox policy."""

from __future__ import annotations

import re

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part
    }


@pytest.mark.parametrize(
    "path", ["/", "/ukiha/", "/ukiha/facilities/", "/staff/login/", "/nowhere/"]
)
def test_every_page__has_a_policy_without_inline_script(client, ukiha, path):
    response = client.get(path)
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"][0] == "'self'"
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_pages_contain_no_inline_script_or_style(client, ukiha):
    """What the policy forbids is not used: no inline script, no style attribute, no handlers."""
    f.staff_user(ukiha)
    pages = [
        client.get(path)
        for path in ["/", "/ukiha/", "/ukiha/facilities/", "/ukiha/register/", "/staff/login/"]
    ]
    pages.append(client.post("/ukiha/login/", {"user_number": "", "password": ""}))
    assert "error-summary.js" in pages[-1].content.decode()
    for response in pages:
        body, path = response.content.decode(), response.request["PATH_INFO"]
        # The only script is a file of this site (the error summary's focus), never inline.
        for tag, content in re.findall(r"(<script[^>]*>)(.*?)</script>", body, re.S):
            assert re.search(r'src="/static/yoyaku/[a-z-]+\.js"', tag) and not content.strip()
        assert "<style" not in body, path
        assert not re.search(r"\sstyle=\"", body), path
        assert not re.search(r"\son[a-z]+=\"", body), path
