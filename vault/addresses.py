"""The one answer to "where does this request come from": ``client_address(request)``.

Every per-address limit, the ledger's ``ip`` column (and so the new-address alert) and the
back office's network allow-list ask this function and nothing else.

Without trusted proxies (``SHOPGUARD_TRUSTED_PROXIES`` empty, the default) the answer is
the connection's own peer, ``REMOTE_ADDR``: anyone can write an ``X-Forwarded-For``
header, so it is ignored. When the peer is one of the trusted proxies, the header is read
from the right, the end that proxy wrote: each hop that is itself a trusted proxy is
skipped, and the first one that is not is the client. Whatever a client put further left
is never reached. A hop that is not an address stops the walk at the last trusted hop,
so a garbled header cannot make two clients share an address they did not have.
"""

import ipaddress
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Warning
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(raw: object) -> Address | None:
    """An address from text (IPv4-mapped IPv6 as IPv4); None when it is not one."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def networks(names: tuple[str, ...]) -> tuple[Network, ...]:
    """Networks from their written form ("10.0.0.0/8", "127.0.0.1"); parsed once."""
    return tuple(ipaddress.ip_network(name.strip(), strict=False) for name in names)


def in_networks(address: Address | None, names: tuple[str, ...] | list[str]) -> bool:
    """Whether ``address`` lies in one of the named networks."""
    return address is not None and any(address in net for net in networks(tuple(names)))


def client_address(request: HttpRequest | None) -> str:
    """The client's address, normalised; "" when there is no request or no address."""
    if request is None:
        return ""
    peer = parse_address(request.META.get("REMOTE_ADDR"))
    trusted = tuple(settings.SHOPGUARD_TRUSTED_PROXIES)
    if peer is None or not in_networks(peer, trusted):
        return str(peer) if peer else ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = forwarded.split(",") if isinstance(forwarded, str) else []
    client = peer
    for raw in reversed(hops):
        hop = parse_address(raw)
        if hop is None:
            break
        client = hop
        if not in_networks(hop, trusted):
            break
    return str(client)


def check_allow_list_behind_proxy(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W001: an allow-list that lets in loopback while no proxy is trusted.

    Behind nginx on the same machine every request arrives from 127.0.0.1; unless that
    proxy is trusted, the app sees nginx rather than the client, and an allow-list
    holding a loopback address would let in the whole internet.
    """
    allowed = tuple(settings.SHOPGUARD_BACKOFFICE_NETWORKS)
    if settings.SHOPGUARD_TRUSTED_PROXIES or not allowed:
        return []
    loopbacks = ("127.0.0.1", "::1")
    if not any(in_networks(parse_address(address), allowed) for address in loopbacks):
        return []
    return [
        Warning(
            "SHOPGUARD_BACKOFFICE_NETWORKS lets in a loopback address while "
            "SHOPGUARD_TRUSTED_PROXIES is empty: behind a proxy on this machine every "
            "client would look like the proxy and pass the allow-list.",
            hint="Name the proxy in SHOPGUARD_TRUSTED_PROXIES (for nginx on this machine: "
            "127.0.0.1), or take the loopback network out of the allow-list.",
            id="vault.W001",
        )
    ]
