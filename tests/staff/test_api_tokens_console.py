"""Staff create, see and revoke their own API tokens in the console."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f
from yoyaku.core.api_tokens import ApiToken, api_token_authenticate
from yoyaku.core.models import AuditLog, User

pytestmark = pytest.mark.django_db


def test_a_clerk_creates_a_token_sees_it_once_and_revokes_it(client):
    clerk = f.staff_user(f.MunicipalityFactory(slug="ukiha"), role=User.StaffRole.CLERK)
    client.force_login(clerk)
    url = reverse("staff:api_token_list")
    page = client.post(url, {"name": "集計システム", "scope": "write"}).content.decode()
    token = ApiToken.objects.get(user=clerk)
    plaintext = page.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert api_token_authenticate(plaintext) == token and token.allows("write")
    assert plaintext not in client.get(url).content.decode()
    assert AuditLog.objects.filter(action="api_token.create", actor=clerk).exists()
    client.post(reverse("staff:api_token_revoke", args=[token.pk]))
    assert api_token_authenticate(plaintext) is None
    assert AuditLog.objects.filter(action="api_token.revoke", actor=clerk).exists()
    # A second click (or another tab) answers as the first did, not with a server error.
    again = client.post(reverse("staff:api_token_revoke", args=[token.pk]))
    assert again.status_code == 302
    assert AuditLog.objects.filter(action="api_token.revoke", actor=clerk).count() == 1


def test_a_viewer_may_only_make_a_read_token(client):
    viewer = f.staff_user(f.MunicipalityFactory(slug="ukiha"), role=User.StaffRole.VIEWER)
    client.force_login(viewer)
    url = reverse("staff:api_token_list")
    refused = client.post(url, {"name": "閲覧", "scope": "write"})
    assert refused.status_code == 400 and not ApiToken.objects.exists()
    client.post(url, {"name": "閲覧", "scope": "read"})
    assert ApiToken.objects.get(user=viewer).scope_list == ["read"]


def test_a_token_without_a_name_is_refused_next_to_the_field(client):
    admin = f.staff_user(f.MunicipalityFactory(slug="ukiha"))
    client.force_login(admin)
    response = client.post(reverse("staff:api_token_list"), {"name": "", "scope": "read"})
    assert response.status_code == 400
    assert 'id="id_name_error"' in response.content.decode()
