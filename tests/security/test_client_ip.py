"""The client's address: X-Forwarded-For counts only from trusted proxies, and only their part."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client, RequestFactory

from tests.security.support import ATTACKER_IP, log_in, registrant
from yoyaku.security.models import LoginAttempt
from yoyaku.security.services import client_ip

pytestmark = pytest.mark.django_db


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies__x_forwarded_for_is_ignored(settings):
    settings.YOYAKU_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("10.0.0.1", "198.51.100.7")) == "10.0.0.1"


def test_one_trusted_proxy__takes_the_rightmost_forwarded_address(settings):
    settings.YOYAKU_TRUSTED_PROXY_COUNT = 1
    request = request_from("10.0.0.1", "192.0.2.99, 198.51.100.7, 203.0.113.5")
    assert client_ip(request) == "203.0.113.5"


def test_two_trusted_proxies__take_the_second_from_the_right(settings):
    settings.YOYAKU_TRUSTED_PROXY_COUNT = 2
    settings.YOYAKU_TRUSTED_PROXIES = ["10.0.0.0/8", "203.0.113.0/28"]  # the CDN's edge
    request = request_from("10.0.0.1", "192.0.2.99, 198.51.100.7, 203.0.113.5")
    assert client_ip(request) == "198.51.100.7"


def test_trusted_proxies__fewer_hops_than_proxies__take_the_leftmost(settings):
    settings.YOYAKU_TRUSTED_PROXY_COUNT = 3
    settings.YOYAKU_TRUSTED_PROXIES = ["10.0.0.0/8", "203.0.113.0/28"]
    assert client_ip(request_from("10.0.0.1", "198.51.100.7, 203.0.113.5")) == "198.51.100.7"


def test_direct_client__forged_header__counts_by_its_connection(settings):
    settings.YOYAKU_TRUSTED_PROXY_COUNT = 1
    settings.YOYAKU_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from(ATTACKER_IP, "198.51.100.7")) == ATTACKER_IP


def test_forged_chain_via_a_trusted_proxy__takes_the_rightmost_untrusted_address(settings):
    settings.YOYAKU_TRUSTED_PROXY_COUNT = 5
    settings.YOYAKU_TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client sent "192.0.2.1, 10.9.9.9" itself; the proxies appended the rest.
    request = request_from("10.0.0.1", "192.0.2.1, 10.9.9.9, 198.51.100.7, 10.0.0.2")
    assert client_ip(request) == "198.51.100.7"
    # A client's garbage left of its own address does not matter; garbage in the part walked
    # falls back to the connection.
    assert client_ip(request_from("10.0.0.1", "junk, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(request_from("10.0.0.1", "198.51.100.7, junk")) == "10.0.0.1"


def test_the_setting_reads_cidrs_from_the_environment():
    from django.conf import settings as live

    assert ipaddress.ip_network("10.0.0.0/8") in live.YOYAKU_TRUSTED_PROXIES
    assert ipaddress.ip_network("::1/128") in live.YOYAKU_TRUSTED_PROXIES


def test_trusted_proxy__without_header_or_with_garbage__falls_back_to_the_connection(settings):
    settings.YOYAKU_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("10.0.0.1")) == "10.0.0.1"
    assert client_ip(request_from("10.0.0.1", "not-an-address")) == "10.0.0.1"


def test_attacker__rotating_x_forwarded_for__is_still_throttled_by_its_real_address(city, settings):
    settings.YOYAKU_TRUSTED_PROXY_COUNT = 0
    registrant(city, "123456")
    attacker = Client()
    statuses = [
        log_in(
            attacker, city, "123456", "00000000", ATTACKER_IP, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}"
        ).status_code
        for i in range(1, 8)
    ]
    assert statuses == [200] * 5 + [429] * 2
    assert set(LoginAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER_IP}


def test_behind_a_trusted_proxy__clients_are_told_apart_by_x_forwarded_for(city, settings):
    settings.YOYAKU_TRUSTED_PROXY_COUNT = 1
    registrant(city, "123456")
    proxy = "10.0.0.1"  # every request reaches the site from the proxy
    for _ in range(5):
        log_in(Client(), city, "123456", "00000000", proxy, HTTP_X_FORWARDED_FOR=ATTACKER_IP)
    blocked = log_in(Client(), city, "123456", "19850412", proxy, HTTP_X_FORWARDED_FOR=ATTACKER_IP)
    owner = log_in(Client(), city, "123456", "19850412", proxy, HTTP_X_FORWARDED_FOR="198.51.100.3")
    assert (blocked.status_code, owner.status_code) == (429, 302)


def test_direct_attacker__forging_x_forwarded_for__is_throttled_by_its_own_address(city, settings):
    settings.YOYAKU_TRUSTED_PROXY_COUNT = 1
    settings.YOYAKU_TRUSTED_PROXIES = ["10.0.0.0/8"]
    registrant(city, "123456")
    statuses = [
        log_in(
            Client(), city, "123456", "00000000", ATTACKER_IP, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}"
        ).status_code
        for i in range(1, 8)
    ]
    assert statuses == [200] * 5 + [429] * 2
    assert set(LoginAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER_IP}
