"""A faithful offline replica of Weihai's Hanweb (大汉) government portals.

The crawler is built and tested against it, and ``nianbao demo`` crawls it, because
these machines cannot reach gov.cn. See README.md beside this file.

    from nianbao.testbed.replica import ReplicaPortal
    with ReplicaPortal(seed=0, bodies_per_site=4, years=(2021, 2022, 2023)) as portal:
        portal.sites["wendeng"].base_url   # http://127.0.0.2:<port>
"""

from .portal import DEFAULT_HOSTS, ReplicaPortal, SiteHandle
from .server import FAULTS, ServedRequest

__all__ = ["DEFAULT_HOSTS", "FAULTS", "ReplicaPortal", "ServedRequest", "SiteHandle"]
