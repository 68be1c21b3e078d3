"""The Redis Cluster router, without I/O: which master owns a key's hash slot, and redirections.

The slot map comes from ``CLUSTER SLOTS``; a key's slot is redis-py's ``key_slot`` (CRC16 with
hash tags, as the server computes it). ``MOVED`` (the slot map is stale: it is dropped and
reloaded before the next command) and ``ASK`` (a slot in migration: retry once there behind
``ASKING``) replies name the node to retry on, at most ``MAX_REDIRECTS`` rounds. Every cluster
client (the blocking and asyncio readers, the bulk writer) routes through one ``ClusterRouter``;
they differ only in how bytes reach the nodes.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any, Callable, Generator, Generic, Iterable, TypeVar

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot  # redis-py

from featureguard.redis.errors import RedisReplyError
from featureguard.redis.resp import ASKING
from featureguard.redis.target import Node, RedisTarget

_UNSERVED = 0xFFFF

#: one round of commands for the nodes: (node, pre-framed commands, number of replies) each
Exchange = list[tuple[Node, bytes, int]]


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

    @property
    def prefix(self) -> bytes:
        """What goes before the redirected command (``ASKING`` for an ASK)."""
        return ASKING if self.ask else b""

    @property
    def skip(self) -> int:
        """Replies to skip before the redirected command's own (the ``+OK`` of ASKING)."""
        return 1 if self.ask else 0


def redirect_of(error: BaseException | str) -> Redirect | None:
    """``MOVED 3999 127.0.0.1:6381`` / ``ASK 3999 127.0.0.1:6381`` -> Redirect; else None."""
    parts = str(error).split()
    if len(parts) != 3 or parts[0] not in ("MOVED", "ASK"):
        return None
    host, _, port = parts[2].rpartition(":")
    return Redirect(parts[0] == "ASK", int(parts[1]), (host, int(port)))


C = TypeVar("C")


class NodePool(Generic[C]):
    """A cluster client's connections: one per node, made by ``factory(node)`` on first use."""

    def __init__(self, factory: Callable[[Node], C]) -> None:
        self.factory = factory
        self.connections: dict[Node, C] = {}

    def __call__(self, node: Node) -> C:
        connection = self.connections.get(node)
        if connection is None:
            connection = self.connections[node] = self.factory(node)
        return connection


class ClusterRouter:
    """One cluster's slot map and the redirect policy."""

    MAX_REDIRECTS = 5

    def __init__(self, target: RedisTarget) -> None:
        self.target = target
        self.slots: SlotMap | None = None  # None: (re)load before the next command

    # -- the slot map ------------------------------------------------------------------------

    def slot_sources(self) -> list[Node]:
        """The nodes to ask for ``CLUSTER SLOTS``, in order: the known masters, then the start-up nodes."""
        return [*(self.slots.nodes if self.slots else ()), *self.target.nodes]

    def accept_slots(self, node: Node, reply: Any) -> SlotMap:
        """Takes ``node``'s answer to CLUSTER SLOTS as the slot map."""
        if isinstance(reply, RedisReplyError):
            raise ClusterRoutingError(f"CLUSTER SLOTS on {node[0]}:{node[1]}: {reply}")
        self.slots = SlotMap.from_reply(reply, node[0])
        return self.slots

    @staticmethod
    def unreachable(errors: list[str]) -> ConnectionError:
        return ConnectionError(f"no Redis Cluster node answered CLUSTER SLOTS: {'; '.join(errors)}")

    def load_slots(self, ask: Callable[[Node], Any]) -> SlotMap:
        """The slot map from the first node that answers; ``ask(node)`` sends CLUSTER SLOTS there
        (blocking) and returns the reply."""
        errors = []
        for node in self.slot_sources():
            try:
                return self.accept_slots(node, ask(node))
            except (ConnectionError, TimeoutError) as exc:
                errors.append(str(exc))
        raise self.unreachable(errors)

    # -- redirections ------------------------------------------------------------------------

    def follow(self, error: BaseException | str) -> Redirect | None:
        """Where to retry a command that got ``error``; None when it is no redirection. A MOVED
        drops the slot map (it is stale); a redirect without a host means the first start-up node's."""
        redirect = redirect_of(error)
        if redirect is None:
            return None
        if not redirect.ask:
            self.slots = None
        if not redirect.node[0]:
            redirect = Redirect(redirect.ask, redirect.slot, (self.target.nodes[0][0], redirect.node[1]))
        return redirect

    def exhausted(self, detail: str = "") -> ClusterRoutingError:
        return ClusterRoutingError(f"Redis Cluster kept redirecting after {self.MAX_REDIRECTS} attempts"
                                   + (f": {detail}" if detail else ""))

    def keyed(self, slots: SlotMap, keys: list[bytes], commands: list[bytes]
              ) -> Generator[Exchange, list[list[Any]], list[Any]]:
        """One command per key, answered in key order: the commands are split per master (all
        sent at once), then redirected ones re-sent where MOVED/ASK point. A generator yielding
        each round of I/O and receiving its replies, so blocking and asyncio clients drive the
        same routine; error replies other than redirections are raised."""
        replies: list[Any] = [None] * len(keys)
        groups = list(slots.route(keys).items())
        answers = yield [(slots.nodes[node], b"".join([commands[p] for p in positions]), len(positions))
                         for node, positions in groups]
        for (_, positions), answer in zip(groups, answers):
            for position, reply in zip(positions, answer):
                replies[position] = reply
        for _ in range(self.MAX_REDIRECTS):
            hops = []
            for position, reply in enumerate(replies):
                if isinstance(reply, RedisReplyError):
                    redirect = self.follow(reply)
                    if redirect is None:
                        raise reply
                    hops.append((position, redirect))
            if not hops:
                return replies
            answers = yield [(r.node, r.prefix + commands[p], r.skip + 1) for p, r in hops]
            for (position, redirect), answer in zip(hops, answers):
                replies[position] = answer[redirect.skip]
        raise self.exhausted()
