"""Pure pieces of the Redis layer checked against the libraries they must agree with: Feast's
connection strings, redis-py's command packing and cluster slots; redirect and reply parsing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featureguard.redis.cluster import ClusterRouter, ClusterRoutingError, SlotMap, redirect_of
from featureguard.redis.resp import ASKING, error_lines, pack
from featureguard.redis.target import RedisTarget, parse_connection_string


@pytest.mark.parametrize("text", [
    "localhost:6379", "10.0.0.1:7000,10.0.0.2:7001,10.0.0.3:7002,skip_full_coverage_check=true",
    "redis:6379,db=2,password=s3cret,ssl=true", "h:1,password=123,username=bob", "h:1,db=0",
])
def test_connection_strings_parse_as_feast_parses_them(text: str) -> None:
    from feast.infra.online_stores.redis import RedisOnlineStore

    feast_nodes, feast_params = RedisOnlineStore._parse_connection_string(text)
    nodes, params = parse_connection_string(text)
    assert nodes == [(n["host"], int(n["port"])) for n in feast_nodes] and params == feast_params


def test_targets_from_feast_config_and_urls() -> None:
    target = RedisTarget.from_feast({"type": "redis", "redis_type": "redis_cluster",
                                     "connection_string": "127.0.0.1:7000,127.0.0.1:7001,password=pw"})
    assert target.cluster and target.nodes == (("127.0.0.1", 7000), ("127.0.0.1", 7001))
    assert target.setup() == [b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n"]  # no SELECT on a cluster
    single = RedisTarget.from_feast({"type": "redis", "connection_string": "h:1,db=3,ssl=true"})
    assert not single.cluster and single.db == 3 and single.ssl and single.setup() == [b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"]
    assert RedisTarget.from_url("rediss://u:p%40ss@h:9/4") == RedisTarget((("h", 9),), False, 4, "u", "p@ss", True)
    with pytest.raises(ValueError, match="sentinel"):
        RedisTarget.from_feast({"type": "redis", "redis_type": "redis_sentinel", "connection_string": "h:1"})
    with pytest.raises(ValueError, match="Redis only"):
        RedisTarget.from_feast({"type": "sqlite"})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=64), st.text(max_size=20), st.integers()), min_size=1, max_size=8))
def test_pack_matches_redis_py(args) -> None:
    from redis.connection import Connection

    assert pack("HMGET", *args) == b"".join(Connection().pack_command("HMGET", *args))


def test_slot_map_routes_keys_like_redis_py() -> None:
    from redis.crc import key_slot

    reply = [[0, 5460, [b"127.0.0.1", 7000, b"id0"]], [5461, 10922, [b"", 7001, b"id1"], [b"127.0.0.1", 7004, b"r"]],
             [10923, 16383, [b"127.0.0.1", 7002, b"id2"]]]
    slots = SlotMap.from_reply(reply, "10.1.1.1")
    assert slots.nodes == [("127.0.0.1", 7000), ("10.1.1.1", 7001), ("127.0.0.1", 7002)]  # "" = the node asked
    keys = [b"plain", b"a{tag}b", b"x{tag}y", b"{}", bytes(range(40)), b"\x01\x00\x00\x00{"]
    groups = slots.route(keys)
    assert sorted(p for ps in groups.values() for p in ps) == list(range(len(keys)))
    for node, positions in groups.items():
        for p in positions:
            slot = key_slot(keys[p])
            assert {0: slot <= 5460, 1: 5461 <= slot <= 10922, 2: slot >= 10923}[node]
    assert any(1 in ps and 2 in ps for ps in groups.values())  # one hash tag, one slot
    with pytest.raises(ClusterRoutingError, match="not served"):
        SlotMap.from_reply([[0, 100, [b"h", 1, b"i"]]], "h").route([b"plain"])


def test_redirects_are_parsed_and_followed() -> None:
    moved = redirect_of("MOVED 3999 127.0.0.1:6381")
    assert moved is not None and not moved.ask and moved.slot == 3999 and moved.node == ("127.0.0.1", 6381)
    ask = redirect_of("ASK 12 :7002")
    assert ask is not None and ask.ask and ask.node == ("", 7002)
    assert redirect_of("WRONGTYPE Operation against a key holding the wrong kind of value") is None
    router = ClusterRouter(RedisTarget((("10.0.0.9", 7000),), cluster=True))
    router.slots = SlotMap.from_reply([[0, 16383, [b"h", 1, b"i"]]], "h")
    hop = router.follow("ASK 12 :7002")
    assert hop is not None and hop.node == ("10.0.0.9", 7002) and hop.prefix == ASKING and hop.skip == 1
    assert router.slots is not None  # an ASK keeps the map
    hop = router.follow("MOVED 12 127.0.0.1:7001")
    assert hop is not None and hop.prefix == b"" and hop.skip == 0 and router.slots is None  # a MOVED drops it
    assert router.follow("ERR nope") is None


def test_router_gives_up_after_max_redirects() -> None:
    """A key bounced between masters forever fails with the redirect policy's error, not a hang."""
    from featureguard.redis.errors import RedisReplyError

    router = ClusterRouter(RedisTarget((("127.0.0.1", 7000),), cluster=True))
    slots = SlotMap.from_reply([[0, 16383, [b"127.0.0.1", 7000, b"i"]]], "127.0.0.1")
    steps = router.keyed(slots, [b"k"], [pack("GET", "k")])
    rounds = [next(steps)]
    with pytest.raises(ClusterRoutingError, match=f"after {router.MAX_REDIRECTS} attempts"):
        while True:
            rounds.append(steps.send([[RedisReplyError("MOVED 1 127.0.0.1:7001")]]))
    assert len(rounds) == 1 + router.MAX_REDIRECTS and rounds[-1] == [(("127.0.0.1", 7001), pack("GET", "k"), 1)]


def test_redis_inside_the_package_is_redis_py() -> None:
    """featureguard.redis imports redis-py as ``redis`` (absolute imports): the slot function and
    the exceptions it classifies are redis-py's, not this package's."""
    import redis

    from featureguard.redis import cluster, errors

    assert cluster.key_slot is redis.crc.key_slot and cluster.key_slot(b"{tag}x") == redis.crc.key_slot(b"tag")
    assert errors._redis_py_exceptions() is redis.exceptions
    assert errors.unavailable_retry_after(redis.exceptions.BusyLoadingError("loading")) == errors.UNAVAILABLE_CODES["LOADING"]


def test_error_lines_locate_error_replies() -> None:
    assert error_lines(b":1\r\n:0\r\n") == []
    assert error_lines(b"-MOVED 3999 127.0.0.1:7001\r\n:1\r\n-ERR x\r\n") == [(0, "MOVED 3999 127.0.0.1:7001"), (2, "ERR x")]
