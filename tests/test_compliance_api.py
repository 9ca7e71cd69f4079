"""`auditkit ingest compliance-api` against a stub of the Activity Feed on 127.0.0.1 that serves the documented
shapes (``data``, ``has_more``, ``first_id``, ``last_id``; ``after_id`` pages; ``x-api-key``), with a 429 and
``Retry-After``, a 401, and answers an attacker would send."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import auditkit
from auditkit.cli import main
from auditkit.compliance_api import ingest, reconcile
from auditkit.errors import IngestError
from tests.conftest import SAMPLES

KEY = "sk-ant-api01-test-compliance-key"
ENV = {"ANTHROPIC_COMPLIANCE_ACCESS_KEY": KEY}
LOCAL_SESSION = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"  # a session of sample_logs/incident


def activity(i: int, session: str | None = None) -> dict:
    out = {
        "id": f"activity_{i:04d}",
        "created_at": f"2026-03-17T14:{i // 60:02d}:{i % 60:02d}Z",
        "organization_id": "org_01Wv6QeBcDfGhJkLmNpQrSt8",
        "actor": {
            "type": "user_actor",
            "email_address": "dev@example.com",
            "user_id": "user_01",
            "ip_address": "192.0.2.34",
        },
        "type": "claude_code_session_started" if session else "claude_chat_created",
    }
    if session:
        out["claude_code_session_id"] = session
    return out


class Feed:
    """The Activity Feed, newest first, ``limit`` a page; ``script`` answers some requests instead."""

    def __init__(self, activities: list[dict], script: Callable[[int, dict], tuple | None] = lambda n, q: None) -> None:
        self.activities = sorted(activities, key=lambda a: a["created_at"], reverse=True)
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query)
                outer.requests.append({"path": url.path, "query": query, "key": self.headers.get("x-api-key")})
                scripted = script(len(outer.requests), query)
                if scripted is None and self.headers.get("x-api-key") != KEY:
                    scripted = (
                        401,
                        {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
                        {},
                    )
                status, body, headers = scripted or (200, outer.page(query), {})
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, query: dict) -> dict:
        rows = self.activities
        if "created_at.gte" in query:
            rows = [a for a in rows if a["created_at"] >= query["created_at.gte"][0]]
        if "after_id" in query:
            ids = [a["id"] for a in rows]
            rows = rows[ids.index(query["after_id"][0]) + 1 :]
        limit = int(query.get("limit", ["100"])[0])
        data = rows[:limit]
        return {"data": data, "has_more": len(rows) > limit,
                "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None}  # fmt: skip


@pytest.fixture
def feed() -> Iterator[Callable[..., Feed]]:
    made: list[Feed] = []

    def make(activities: list[dict], script: Callable = lambda n, q: None) -> Feed:
        made.append(Feed(activities, script))
        return made[-1]

    yield make
    for f in made:
        f.server.shutdown()
        f.server.server_close()


def test_three_pages_and_a_429_are_read_into_a_chained_trail_once(feed, tmp_path: Path) -> None:
    acts = [activity(i, session=f"s-{i}" if i % 3 == 0 else None) for i in range(25)]
    f = feed(acts, lambda n, q: (429, {"type": "error"}, {"Retry-After": "1"}) if n == 2 else None)
    out = tmp_path / "compliance" / "trail.jsonl"
    result = ingest("compliance-api", out, api_url=f.url, env=ENV, limit=10)
    assert result.pages == 3 and result.fetched == result.written == 25 and result.waits == [1.0]
    assert [r["query"].get("after_id") for r in f.requests] == [
        None,
        ["activity_0015"],
        ["activity_0015"],
        ["activity_0005"],
    ]
    assert all(r["key"] == KEY for r in f.requests)
    assert auditkit.verify(out).intact
    df = auditkit.load(out)
    df = df[df["event"] == "compliance_activity"]
    assert list(df["data"].map(lambda d: d["id"])) == [a["id"] for a in acts]  # oldest first
    assert set(df["capture"]) == {"compliance-api"} and set(df["agent"]) == {"claude-code"}
    from auditkit.loading import columnar

    for min_bytes in (0, 1 << 60):  # the DuckDB path, then the line reader: each row says where it came from
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(columnar, "MIN_BYTES", min_bytes)
            read = auditkit.load(out)
        assert set(read[read["event"] == "compliance_activity"]["source_format"].astype(str)) == {"compliance-api"}
        assert set(read[read["event"] != "compliance_activity"]["source_format"].astype(str)) <= {"auditkit"}
    assert set(df["session_id"].dropna()) == {f"s-{i}" for i in range(0, 25, 3)}
    again = ingest("compliance-api", out, api_url=f.url, env=ENV, limit=10)
    assert again.written == 0 and again.already == 25


def test_a_401_is_one_clear_line_and_exit_non_zero(feed, tmp_path: Path, capsys, monkeypatch) -> None:
    f = feed([activity(1)])
    monkeypatch.setenv("ANTHROPIC_COMPLIANCE_ACCESS_KEY", "sk-ant-wrong")
    code = main(["ingest", "compliance-api", "--api-url", f.url, "--out", str(tmp_path / "t.jsonl")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "HTTP 401" in err[0] and "invalid x-api-key" in err[0]
    assert "sk-ant-wrong" not in err[0] and not (tmp_path / "t.jsonl").exists()
    monkeypatch.delenv("ANTHROPIC_COMPLIANCE_ACCESS_KEY")
    assert main(["ingest", "compliance-api", "--api-url", f.url, "--out", str(tmp_path / "t.jsonl")]) != 0
    assert "ANTHROPIC_COMPLIANCE_ACCESS_KEY" in capsys.readouterr().err


def test_reconcile_finds_a_session_the_hook_never_saw(feed, tmp_path: Path, capsys, monkeypatch) -> None:
    f = feed([activity(1, session=LOCAL_SESSION), activity(2, session="remote-only-session"), activity(3)])
    out = tmp_path / "c.jsonl"
    monkeypatch.setenv("ANTHROPIC_COMPLIANCE_ACCESS_KEY", KEY)
    assert main(["ingest", "compliance-api", "--api-url", f.url, "--out", str(out)]) == 0
    local = [SAMPLES / "incident" / "audit-trail.jsonl", SAMPLES / "concurrent" / "audit-trail.jsonl"]
    found = reconcile(out, local)
    assert found.missing_locally == ["remote-only-session"]
    assert LOCAL_SESSION not in found.missing_upstream and found.missing_upstream  # the other trail's sessions
    assert main(["reconcile", "--compliance", str(out), *map(str, local)]) == 1  # a difference: exit 1
    assert "remote-only-session" in capsys.readouterr().out


@pytest.mark.parametrize(
    "answer",
    [
        (200, b"<html>sign in</html>", {}),  # a portal
        (200, {"data": [{"id": 5, "created_at": "x", "type": "t"}], "has_more": False}, {}),  # an id not a string
        (302, b"", {"Location": "http://evil.example/steal"}),  # the key would follow
        (200, {"data": [activity(1)], "has_more": True, "last_id": None}, {}),  # a cursor that cannot move
    ],
)
def test_an_answer_unlike_the_feed_stops_the_run_and_writes_nothing(answer, feed, tmp_path: Path) -> None:
    f = feed([activity(1)], lambda n, q: answer)
    out = tmp_path / "t.jsonl"
    with pytest.raises(IngestError):
        ingest("compliance-api", out, api_url=f.url, env=ENV)
    assert not out.exists()


def test_a_cursor_that_loops_is_caught(feed, tmp_path: Path) -> None:
    looping = {"data": [activity(1)], "has_more": True, "first_id": "activity_0001", "last_id": "activity_0001"}
    f = feed([activity(1)], lambda n, q: (200, looping, {}))
    with pytest.raises(IngestError, match="did not move"):
        ingest("compliance-api", tmp_path / "t.jsonl", api_url=f.url, env=ENV)
    assert len(f.requests) == 2


def test_secrets_in_an_activity_are_redacted_and_the_key_goes_only_over_https(feed, tmp_path: Path) -> None:
    leaky = activity(1)
    leaky["claude_chat_name"] = "deploy with AKIAIOSFODNN7EXAMPLE and ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    f = feed([leaky])
    out = tmp_path / "t.jsonl"
    ingest("compliance-api", out, api_url=f.url, env=ENV)
    text = out.read_text()
    assert "AKIAIOSFODNN7EXAMPLE" not in text and "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" not in text
    with pytest.raises(IngestError, match="https"):
        ingest("compliance-api", out, api_url="http://compliance.example", env=ENV)
