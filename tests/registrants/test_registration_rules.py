"""The registration's rules hold for every caller of the service, not only for the form."""

from __future__ import annotations

import datetime as dt

import pytest

from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog, User
from yoyaku.registrants import services
from yoyaku.registrants.models import Registrant

pytestmark = pytest.mark.django_db


def _data(**overrides) -> dict:
    data = {
        "kind": Registrant.Kind.INDIVIDUAL,
        "category": Registrant.Category.RESIDENT,
        "name_kana": "ウキハ　ハナコ",
        "name": "浮羽　花子",
        "birth_date": dt.date(1990, 5, 5),
        "phone": "0943-75-1111",
        "email": "hanako@example.jp",
        "postal_code": "839-1393",
        "prefecture": "福岡県",
        "city": "うきは市",
        "street": "吉井町新治３１６",
    }
    data.update(overrides)
    return data


def _refused(municipality, data, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        services.registration_apply(municipality=municipality, data=data, **kwargs)
    assert not Registrant.objects.exists()
    assert not User.objects.filter(kind=User.Kind.REGISTRANT).exists()
    assert not AuditLog.objects.filter(action="registration.apply").exists()
    return caught.value


def test_a_birth_date_in_the_future__is_refused_naming_the_birth_date(ukiha):
    error = _refused(ukiha, _data(birth_date=dt.date(2027, 1, 1)))
    assert error.field == "birth_date"
    assert "生年月日" in error.message


def test_an_applicant_younger_than_the_minimum_age__is_refused_with_the_age(ukiha):
    error = _refused(ukiha, _data(birth_date=dt.date(2010, 1, 1)))
    assert error.field == "birth_date"
    assert error.message == f"利用者登録は{ukiha.minimum_age}歳以上の方が対象です。"


def test_a_worker_without_a_workplace__is_refused_naming_the_workplace_field(ukiha):
    error = _refused(ukiha, _data(category=Registrant.Category.WORKER), channel="counter")
    assert error.field == "workplace_name"
    assert error.message == "在勤の方は入力してください。"


def test_a_worker_online_without_a_proof__is_refused_naming_the_proof(ukiha):
    workplace = {
        "workplace_name": "うきは工業",
        "workplace_postal_code": "839-1393",
        "workplace_prefecture": "福岡県",
        "workplace_city": "うきは市",
        "workplace_street": "吉井町１",
        "workplace_phone": "0943-75-2222",
    }
    error = _refused(ukiha, _data(category=Registrant.Category.WORKER, **workplace))
    assert error.field == "employment_proof"
    assert error.message == "在勤の方は在勤証明書を添付してください。"


@pytest.mark.parametrize("category", ["alien", Registrant.Category.OTHER])
def test_a_category_the_municipality_does_not_register__is_refused(minato, category):
    error = _refused(minato, _data(category=category))
    assert error.field == "category"
    assert "区分" in error.message


def test_a_group_where_the_municipality_registers_no_groups__is_refused(minato):
    error = _refused(minato, _data(kind=Registrant.Kind.GROUP, group_name="港の会"))
    assert error.field == "kind"


def test_a_missing_birth_date__is_refused_as_required(ukiha):
    data = _data()
    del data["birth_date"]
    error = _refused(ukiha, data)
    assert error.field == "birth_date"
    assert error.message == "入力してください。"
