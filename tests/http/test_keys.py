"""The API key file: what it says is what the service does, and what it cannot read exactly
stops the service at start with a one-line cause (KeyConfigError) instead of being guessed at."""

from __future__ import annotations

import hashlib

import orjson
import pytest

from featureguard.http.auth import KeyConfigError, hash_key, load_keyring
from tests.http.conftest import KEYS, client_for, records, store_snapshot, weather_rows

DISABLED = "fgk_disabled"


def _entry(name: str, raw: str, scopes: list[str], **extra) -> dict:
    return {"name": name, "sha256": hashlib.sha256(raw.encode()).hexdigest(), "scopes": scopes, **extra}


def test_a_disabled_key_is_refused_everywhere(stores) -> None:
    keys = [*KEYS, _entry("retired", DISABLED, ["admin"], disabled=True)]
    before = store_snapshot(stores)
    headers = {"Authorization": f"Bearer {DISABLED}"}
    with client_for(stores.redis.url, api_keys_json=orjson.dumps({"keys": keys}).decode()) as client:
        push = client.post("/v1/push/weather", content=records(weather_rows(2)),
                           headers={"Content-Type": "application/json", **headers})
        read = client.post("/v1/online-features", headers=headers,
                           json={"features": ["weather_hourly:temp"], "entities": {"origin": ["JFK"]}})
        contracts = client.get("/v1/contracts", headers=headers)
    for response in (push, read, contracts):
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "disabled_api_key" and "'retired'" in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"
    assert store_snapshot(stores) == before


def test_disabled_must_be_a_boolean_and_misspelt_fields_are_refused(tmp_path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(f"keys:\n  - name: p\n    sha256: {hash_key('k')}\n    scopes: [admin]\n    disable: true\n")
    with pytest.raises(KeyConfigError, match=r"unknown field\(s\) \['disable'\]"):
        load_keyring(path, None, False)
    path.write_text(f"keys:\n  - name: p\n    sha256: {hash_key('k')}\n    scopes: [admin]\n    disabled: 'no'\n")
    with pytest.raises(KeyConfigError, match="disabled must be true or false"):
        load_keyring(path, None, False)
    path.write_text(f"keys:\n  - name: p\n    sha256: {hash_key('k')}\n    scopes: [admin]\n"
                    f"    disabled: false\n    owner: data-platform\n")
    assert not load_keyring(path, None, False).lookup("k").disabled


def test_a_digest_listed_twice_is_refused_naming_both_keys(tmp_path) -> None:
    twice = [_entry("weather-producer", "k1", ["write:weather"]), _entry("admin-copy", "k1", ["admin"])]
    with pytest.raises(KeyConfigError) as caught:
        load_keyring(None, orjson.dumps({"keys": twice}).decode(), False)
    message = str(caught.value)
    assert "'weather-producer'" in message and "'admin-copy'" in message and "same sha256" in message
    path = tmp_path / "keys.json"  # the file and the variable together, too
    path.write_bytes(orjson.dumps({"keys": twice[:1]}))
    with pytest.raises(KeyConfigError, match="'weather-producer' and 'admin-copy'"):
        load_keyring(path, orjson.dumps(twice[1:]).decode(), False)


@pytest.mark.parametrize("content", [
    b"keys:\n  - name: caf\xe9\n    sha256: " + hash_key("k").encode() + b"\n    scopes: [admin]\n",  # Latin-1
    b"\xff\xfek\x00e\x00y\x00s\x00",  # UTF-16
])
def test_a_key_file_that_is_not_utf8_is_a_one_line_key_config_error(tmp_path, content: bytes) -> None:
    path = tmp_path / "keys.yaml"
    path.write_bytes(content)
    with pytest.raises(KeyConfigError) as caught:
        load_keyring(path, None, False)
    message = str(caught.value)
    assert "not UTF-8" in message and str(path) in message and "\n" not in message


def test_yaml_errors_are_one_line(tmp_path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text("keys:\n  - name: [unclosed\n")
    with pytest.raises(KeyConfigError) as caught:
        load_keyring(path, None, False)
    assert "not valid YAML" in str(caught.value) and "\n" not in str(caught.value)
