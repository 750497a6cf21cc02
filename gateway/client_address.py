"""Who is calling, by network address: the limits on sign-ins and access codes key on it.

Behind a proxy, the connection comes from the proxy and the caller's address is in
`X-Forwarded-For`, which anyone can also send. So it is believed only from the proxies
configured in TRUSTED_PROXIES (CLEP_TRUSTED_PROXIES: addresses or networks, comma
separated; none by default): reading the header from the right, each trusted proxy's hop
is skipped, and the first address not of a trusted proxy is the client.
"""
import ipaddress

from nameko.extensions import DependencyProvider


def trusted_networks(setting):
    """The networks of TRUSTED_PROXIES; a bad entry stops the gateway from starting."""
    networks = []
    for entry in str(setting or "").replace(" ", "").split(","):
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError("CLEP_TRUSTED_PROXIES: {!r} is not an address or a "
                                 "network".format(entry)) from None
    return tuple(networks)


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(remote_addr, forwarded_for, trusted):
    """The caller's address: the connection's, or from a trusted proxy the last hop in
    `forwarded_for` that no trusted proxy added."""
    client = _address(remote_addr or "")
    if client is None:
        return "unknown"
    hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()]
    while hops and any(client in network for network in trusted):
        forwarded = _address(hops.pop())
        if forwarded is None:  # a garbled hop: the last proxy that added it is the client
            break
        client = forwarded
    return str(client)


class ClientAddress(DependencyProvider):
    """`self.client_address(request)` in the gateway: the caller's address."""

    def setup(self):
        self.trusted = trusted_networks(self.container.config.get("TRUSTED_PROXIES"))

    def get_dependency(self, worker_ctx):
        def of(request):
            return client_address(request.remote_addr,
                                  request.headers.get("X-Forwarded-For"), self.trusted)
        return of
