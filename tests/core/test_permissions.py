"""Who may do what: one table of verbs and roles, scoped to municipality and facility."""

from __future__ import annotations

import pytest

from tests import factories as f
from yoyaku.core.models import User
from yoyaku.core.permissions import OWN_ONLY, Perm, can

pytestmark = pytest.mark.django_db


@pytest.fixture
def ukiha():
    return f.MunicipalityFactory(slug="ukiha")


def facility_staff(municipality, *facilities):
    user = f.staff_user(municipality, role=User.StaffRole.FACILITY, login_id="bunka")
    user.facilities.set(facilities)
    return user


def test_facility_staff__act_on_their_facility_only(ukiha):
    hall, gym = f.FacilityFactory(municipality=ukiha), f.FacilityFactory(municipality=ukiha)
    bunka = facility_staff(ukiha, hall)
    assert can(bunka, Perm.RESERVATIONS, hall)
    assert not can(bunka, Perm.RESERVATIONS, gym)


def test_facility_staff__never_review_registrations_or_run_lotteries(ukiha):
    bunka = facility_staff(ukiha)
    assert not can(bunka, Perm.REGISTRATIONS)
    assert not can(bunka, Perm.LOTTERY)
    assert not can(bunka, Perm.SECURITY)
    assert can(bunka, Perm.CONSOLE)


def test_admin__acts_on_every_facility_of_their_own_municipality_only(ukiha):
    admin = f.staff_user(ukiha)
    ours = f.FacilityFactory(municipality=ukiha)
    theirs = f.FacilityFactory()
    assert can(admin, Perm.RESERVATIONS, ours)
    assert not can(admin, Perm.RESERVATIONS, theirs)


def test_anonymous_and_registrants__are_no_staff(ukiha):
    from django.contrib.auth.models import AnonymousUser

    assert not can(AnonymousUser(), Perm.CONSOLE)
    registrant_user = User.objects.create(
        username="ukiha:r:123456", municipality=ukiha, login_id="123456", kind=User.Kind.REGISTRANT
    )
    assert not can(registrant_user, Perm.CONSOLE)


def test_unknown_verb__is_an_error(ukiha):
    with pytest.raises(ValueError):
        can(f.staff_user(ukiha), "delete_everything")


def test_a_clerk_reviews_registrations_and_works_reservations_of_their_facility(ukiha):
    hall, gym = f.FacilityFactory(municipality=ukiha), f.FacilityFactory(municipality=ukiha)
    clerk = f.staff_user(ukiha, role=User.StaffRole.CLERK, login_id="clerk")
    clerk.facilities.set([hall])
    assert can(clerk, Perm.REGISTRATIONS, write=True)
    assert can(clerk, Perm.RESERVATIONS, hall, write=True)
    assert not can(clerk, Perm.RESERVATIONS, gym)
    assert not can(clerk, Perm.LOTTERY) and not can(clerk, Perm.STAFF_ACCOUNTS)


def test_a_viewer_reads_but_never_acts(ukiha):
    viewer = f.staff_user(ukiha, role=User.StaffRole.VIEWER, login_id="viewer")
    assert can(viewer, Perm.RESERVATIONS) and can(viewer, Perm.REGISTRATIONS)
    # Of the municipality's business; their own API tokens (which only read) and passkeys are
    # theirs.
    assert not any(can(viewer, perm, write=True) for perm in Perm if perm not in OWN_ONLY)
    assert can(viewer, Perm.API_TOKENS, write=True) and can(viewer, Perm.PASSKEYS, write=True)


def test_the_older_facility_value_is_the_facility_manager(ukiha):
    assert User.StaffRole("facility") == User.StaffRole.FACILITY
    assert str(User.StaffRole.FACILITY.label) == "施設管理者"
