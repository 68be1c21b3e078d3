"""Redis Cluster routing, pure: which master owns a key's hash slot, and redirections.

The slot map comes from ``CLUSTER SLOTS``; a key's slot is redis-py's ``key_slot`` (CRC16 with
hash tags, as the server computes it). A lookup's HMGETs are split per master, sent to every
master at once, and the replies put back in request order. ``MOVED`` (the slot map is stale)
and ``ASK`` (a slot in migration) replies name the node to retry on.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any, Iterable

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

Node = tuple[str, int]
_UNSERVED = 0xFFFF


class ClusterRoutingError(ConnectionError):
    """The cluster does not serve a slot, or keeps redirecting."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass
class SlotMap:
    nodes: list[Node]  # masters
    owner: array  # slot -> index into ``nodes`` (_UNSERVED when no master serves it)

    @classmethod
    def from_reply(cls, reply: list[Any], default_host: str) -> "SlotMap":
        """From a ``CLUSTER SLOTS`` reply: [[start, end, [host, port, id, ...], replicas...], ...].
        An empty or ``?`` host means the node that answered."""
        nodes: list[Node] = []
        index: dict[Node, int] = {}
        owner = array("H", [_UNSERVED]) * REDIS_CLUSTER_HASH_SLOTS
        for entry in reply:
            start, end, master = int(entry[0]), int(entry[1]), entry[2]
            host = _text(master[0]) if master[0] not in (b"", "", b"?", "?", None) else default_host
            node = (host, int(master[1]))
            position = index.setdefault(node, len(nodes))
            if position == len(nodes):
                nodes.append(node)
            owner[start:end + 1] = array("H", [position]) * (end - start + 1)
        if not nodes:
            raise ClusterRoutingError("CLUSTER SLOTS returned no slots: is the cluster set up?")
        return cls(nodes, owner)

    def route(self, keys: Iterable[bytes]) -> dict[int, list[int]]:
        """Node index -> positions of the keys it serves, each list in request order."""
        owner = self.owner
        groups: dict[int, list[int]] = {}
        for position, key in enumerate(keys):
            node = owner[key_slot(key)]
            if node == _UNSERVED:
                raise ClusterRoutingError(f"hash slot {key_slot(key)} is not served by any master (CLUSTERDOWN?)")
            groups.setdefault(node, []).append(position)
        return groups


@dataclass(frozen=True)
class Redirect:
    ask: bool  # ASK: retry once there with ASKING; MOVED: the slot map is stale
    slot: int
    node: Node


def redirect_of(error: BaseException | str) -> Redirect | None:
    """``MOVED 3999 127.0.0.1:6381`` / ``ASK 3999 127.0.0.1:6381`` -> Redirect; else None."""
    parts = str(error).split()
    if len(parts) != 3 or parts[0] not in ("MOVED", "ASK"):
        return None
    host, _, port = parts[2].rpartition(":")
    return Redirect(parts[0] == "ASK", int(parts[1]), (host, int(port)))


ASKING = b"*1\r\n$6\r\nASKING\r\n"
CLUSTER_SLOTS = b"*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n"
PING = b"*1\r\n$4\r\nPING\r\n"
