"""A local Redis Cluster of redis-server processes on loopback ports: for tests and benchmarks.

Feast's ``redis_type: redis_cluster`` and our fast paths must work against a real cluster, so
tests start one: N masters (no replicas), each a :class:`RedisProcess` with ``--cluster-enabled
yes``, the 16384 hash slots split evenly with ``CLUSTER ADDSLOTSRANGE``, the nodes introduced with
``CLUSTER MEET``, then we wait until every node reports ``cluster_state:ok`` and agrees on the
slot map. No ``redis-cli`` needed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from featureguard.redis_process import RedisProcess, RedisUnavailableError, free_port

SLOTS = 16384


def slot_ranges(masters: int) -> list[tuple[int, int]]:
    """Inclusive, contiguous slot ranges that cover all 16384 slots, one per master."""
    bounds = [round(i * SLOTS / masters) for i in range(masters + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(masters)]


class RedisCluster:
    """``masters`` cluster-enabled redis-servers forming one cluster; ``stop()`` ends them all."""

    def __init__(self, masters: int = 3, timeout: float = 20.0):
        if masters < 1:
            raise ValueError("a cluster needs at least one master")
        self.data_dir = Path(tempfile.mkdtemp(prefix="featureguard-redis-cluster-"))
        self.nodes: list[RedisProcess] = []
        self.bus_ports: list[int] = []
        try:
            for i in range(masters):
                node_dir = self.data_dir / f"node{i}"
                self.bus_ports.append(free_port())
                # The cluster bus defaults to port + 10000, which may be taken or past 65535.
                self.nodes.append(RedisProcess(data_dir=node_dir, extra_args=[
                    "--cluster-enabled", "yes", "--cluster-port", str(self.bus_ports[-1]),
                    "--cluster-config-file", str(node_dir / "nodes.conf"),
                    "--cluster-node-timeout", "2000",
                    "--cluster-require-full-coverage", "yes",
                ]))
            self._form(timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def ports(self) -> list[int]:
        return [node.port for node in self.nodes]

    @property
    def startup_nodes(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", port) for port in self.ports]

    @property
    def feast_connection_string(self) -> str:
        """Feast's ``connection_string`` for ``redis_type: redis_cluster``: host:port,host:port,..."""
        return ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def client(self, **kwargs):
        """A redis-py ``RedisCluster`` client on this cluster."""
        from redis.cluster import ClusterNode, RedisCluster as Client

        return Client(startup_nodes=[ClusterNode(h, p) for h, p in self.startup_nodes], **kwargs)

    def _form(self, timeout: float) -> None:
        import redis

        clients = [redis.Redis(host="127.0.0.1", port=p, socket_timeout=5) for p in self.ports]
        try:
            for client, (first, last) in zip(clients, slot_ranges(len(clients))):
                client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
            for client in clients[1:]:
                client.execute_command("CLUSTER", "MEET", "127.0.0.1", self.ports[0], self.bus_ports[0])
            self._wait_ok(clients, timeout)
        finally:
            for client in clients:
                client.close()

    def _wait_ok(self, clients, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            infos = [c.execute_command("CLUSTER", "INFO") for c in clients]
            infos = [i.decode() if isinstance(i, bytes) else str(i) for i in infos]
            known = all(f"cluster_known_nodes:{len(clients)}" in i for i in infos)
            if known and all("cluster_state:ok" in i for i in infos):
                # Every node must route every slot the same way before clients use it.
                maps = [sorted((s[0], s[1], s[2][1]) for s in c.execute_command("CLUSTER", "SLOTS"))
                        for c in clients]
                if all(m == maps[0] for m in maps) and sum(e - s + 1 for s, e, _ in maps[0]) == SLOTS:
                    return
            state = infos[0]
            time.sleep(0.05)
        raise RedisUnavailableError(f"redis cluster did not reach cluster_state:ok within {timeout}s:\n{state}")

    def flushall(self) -> None:
        import redis

        for port in self.ports:
            with redis.Redis(host="127.0.0.1", port=port) as client:
                client.flushall()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        self.nodes = []
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> "RedisCluster":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
