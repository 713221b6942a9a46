"""Replicas of the other CMS families' portals (TRS WCM, Ucap), served like the
Hanweb replica (``nianbao.testbed.replica``) with the same faults; see README.md."""

from .portal import FAMILIES, FamilyPortal

__all__ = ["FAMILIES", "FamilyPortal"]
