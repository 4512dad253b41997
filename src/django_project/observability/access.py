"""Who may read /metrics: parsing CHATBOT_METRICS_ALLOW (at start-up, so a typo stops the
process) and matching a client address against it. settings.py imports this: nothing here may
need the settings loaded."""

import hmac
import ipaddress
from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: str, *, name: str = "CHATBOT_METRICS_ALLOW") -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR blocks (`127.0.0.1,::1,10.0.0.0/8`)."""
    networks = []
    for item in raw.split(","):
        entry = item.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {entry!r} is not an IP address or CIDR block such as 10.0.0.0/8."
            ) from None
    return tuple(networks)


def address_allowed(address: str | None, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 from a dual-stack socket is 10.0.0.1
    return any(ip.version == net.version and ip in net for net in networks)


def token_matches(authorization: str, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time; never with an empty token."""
    scheme, _, given = authorization.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_token(raw: str, *, name: str = "CHATBOT_METRICS_TOKEN") -> str:
    """Empty (no token admits anyone), or long enough not to be guessed."""
    token = raw.strip()
    if token and len(token) < 24:
        raise ImproperlyConfigured(
            f"{name} is too short to be a secret: use at least 24 random characters, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'."
        )
    return token
