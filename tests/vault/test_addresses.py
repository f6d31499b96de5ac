"""The one client address (vault/addresses.py): X-Forwarded-For only through a trusted proxy."""

import pytest
from django.test import RequestFactory

from vault.addresses import client_address

NGINX = ["127.0.0.1"]


def address(remote, forwarded=None, trusted=(), settings=None):
    settings.SHOPGUARD_TRUSTED_PROXIES = list(trusted)
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **headers))


def test_without_trusted_proxies_it_is_the_peer_and_a_forged_header_is_ignored(settings):
    assert address("203.0.113.7", settings=settings) == "203.0.113.7"
    assert address("203.0.113.7", "198.51.100.1", settings=settings) == "203.0.113.7"
    assert address("127.0.0.1", "198.51.100.1", settings=settings) == "127.0.0.1"


def test_through_a_trusted_proxy_it_is_the_address_the_proxy_wrote(settings):
    assert address("127.0.0.1", "198.51.100.1", NGINX, settings) == "198.51.100.1"


def test_it_takes_the_right_most_address_that_is_not_a_trusted_proxy(settings):
    # The client wrote "192.0.2.66" itself; nginx appended the peer it saw.
    assert address("127.0.0.1", "192.0.2.66, 198.51.100.1", NGINX, settings) == "198.51.100.1"
    chain = "192.0.2.66, 198.51.100.1, 10.0.0.5"
    trusted = ["127.0.0.1", "10.0.0.0/8"]  # nginx, and a load balancer in front of it
    assert address("127.0.0.1", chain, trusted, settings) == "198.51.100.1"


def test_a_header_from_an_untrusted_peer_is_ignored_even_with_proxies_named(settings):
    assert address("203.0.113.7", "198.51.100.1", NGINX, settings) == "203.0.113.7"


@pytest.mark.parametrize("forwarded", ["", "not-an-address", "198.51.100.1, garbage", " , "])
def test_a_garbled_header_stops_at_the_last_trusted_hop(settings, forwarded):
    assert address("127.0.0.1", forwarded, NGINX, settings) == "127.0.0.1"


def test_every_hop_trusted_gives_the_left_most(settings):
    trusted = ["127.0.0.1", "10.0.0.0/8"]
    assert address("127.0.0.1", "10.0.0.9, 10.0.0.5", trusted, settings) == "10.0.0.9"


def test_it_normalises_addresses(settings):
    assert address("::ffff:127.0.0.1", "2001:DB8::1", NGINX, settings) == "2001:db8::1"
    assert address("not an address", settings=settings) == ""
    assert client_address(None) == ""


@pytest.mark.parametrize(
    ("allowed", "trusted", "warned"),
    [
        (["127.0.0.0/8", "192.168.1.0/24"], [], True),  # nginx would pass for everyone
        (["127.0.0.0/8"], ["127.0.0.1"], False),  # the proxy is trusted: real addresses
        (["192.168.1.0/24"], [], False),  # no loopback in the list
        ([], [], False),  # no allow-list at all
    ],
)
def test_check_warns_of_an_allow_list_a_local_proxy_would_open(settings, allowed, trusted, warned):
    from django.core import checks

    settings.SHOPGUARD_BACKOFFICE_NETWORKS = allowed
    settings.SHOPGUARD_TRUSTED_PROXIES = trusted
    ids = [message.id for message in checks.run_checks()]
    assert ("vault.W001" in ids) is warned
