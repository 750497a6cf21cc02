"""The client address the limits key on: X-Forwarded-For only from trusted proxies."""
import pytest

from gateway.client_address import client_address, trusted_networks

PROXIES = trusted_networks("10.0.0.1, 192.168.0.0/16")


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address("203.0.113.5", "198.51.100.1", ()) == "203.0.113.5"
    assert client_address("10.0.0.1", "198.51.100.1", ()) == "10.0.0.1"


def test_from_an_untrusted_peer_the_header_is_ignored():
    assert client_address("203.0.113.5", "198.51.100.1", PROXIES) == "203.0.113.5"


def test_from_a_trusted_proxy_the_last_untrusted_hop_is_the_client():
    assert client_address("10.0.0.1", "198.51.100.1", PROXIES) == "198.51.100.1"
    # a client's own made-up entries come before what the proxies added: never used
    assert client_address("10.0.0.1", "1.2.3.4, 198.51.100.1, 192.168.3.4",
                          PROXIES) == "198.51.100.1"


def test_a_garbled_hop_stops_the_walk_at_the_proxy_that_passed_it():
    assert client_address("10.0.0.1", "198.51.100.1, not-an-address", PROXIES) == "10.0.0.1"
    assert client_address("10.0.0.1", "", PROXIES) == "10.0.0.1"


def test_ipv6_and_no_address():
    assert client_address("::1", None, trusted_networks("::1")) == "::1"
    assert client_address("::1", "2001:db8::7", trusted_networks("::1")) == "2001:db8::7"
    assert client_address(None, "198.51.100.1", PROXIES) == "unknown"


def test_a_bad_setting_is_refused_with_its_name():
    with pytest.raises(ValueError, match="CLEP_TRUSTED_PROXIES"):
        trusted_networks("10.0.0.1, proxy.example.org")
    assert trusted_networks("") == () and trusted_networks(None) == ()
