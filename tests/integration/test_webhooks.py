"""Account webhooks: set through the API, job events POSTed signed by the webhook Lambda.

The receiver is a stdlib HTTP server on 127.0.0.1 that checks every signature with the secret
the API returned; the local stack's rule on the job bus invokes the real webhook handler (as
EventBridge would, asynchronously). Loopback receivers need WEBHOOK_ALLOW_LOOPBACK=true, the
local-development switch; the SSRF tests run with the rules as deployed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared.config import reset_settings
from shared.db.models import Account
from shared.services.webhooks import WebhookDeliveryFailed, deliver_event, verify_signature
from tests.helpers import add_keywords, api, run_job

pytestmark = pytest.mark.integration


class Receiver:
    """A webhook receiver answering each POST with the next scripted step (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[Any] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                step = receiver.script.pop(0) if receiver.script else 200
                if step == "sleep":
                    time.sleep(1.0)
                    step = 200
                elif step == "hold":
                    receiver.release.wait(10)
                    step = 200
                self.send_response(int(step))
                if 300 <= int(step) < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/igny8?source=test"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def signed_correctly(request: dict[str, Any], secret: str) -> bool:
    """The receiver's own check: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>, recent."""
    fields = dict(part.split("=", 1) for part in request["headers"]["X-Igny8-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + request["body"], hashlib.sha256)
    return (
        hmac.compare_digest(expected.hexdigest(), fields["v1"]) and abs(time.time() - int(fields["t"])) < 60
    )


@pytest.fixture
def receiver(stack, monkeypatch) -> Iterator[Receiver]:
    """A loopback receiver, with local development's loopback switch and quick retries."""
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("WEBHOOK_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "0.5")
    reset_settings()
    server = Receiver()
    yield server
    server.release.set()
    stack.wait_for_invocations()
    server.stop()
    monkeypatch.undo()
    reset_settings()


def _set_webhook(account: Any, url: str) -> str:
    status, body = api("PUT", "/v1/account/webhook", account.api_key, {"url": url})
    assert status == 200, body
    return str(body["secret"])


def _cluster_job(stack: Any, account: Any, fake_openai: Any, keyword: str) -> Any:
    ids = add_keywords(account.account_id, [keyword])
    fake_openai.queue_json({"clusters": [{"name": keyword.title(), "keywords": [keyword]}]})
    job = run_job(stack, account.account_id, "auto_cluster", {"ids": ids})
    assert job.status == "completed", job.error
    return job


def test_the_secret_is_shown_once_and_never_again(stack, account, receiver):
    status, body = api("PUT", "/v1/account/webhook", account.api_key, {"url": receiver.url})

    assert status == 200 and body["url"] == receiver.url
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40 and "only this once" in body["message"]
    assert Account.get(account.account_id).webhook_secret == secret
    status, view = api("GET", "/v1/account/webhook", account.api_key)
    assert status == 200 and view["url"] == receiver.url and view["configured"] is True
    assert secret not in json.dumps(view) and "secret" not in view
    # Setting it again rotates the secret.
    assert _set_webhook(account, receiver.url) != secret

    status, body = api("DELETE", "/v1/account/webhook", account.api_key)
    assert status == 200 and body["success"] is True
    assert Account.get(account.account_id).webhook_secret is None
    status, view = api("GET", "/v1/account/webhook", account.api_key)
    assert view["configured"] is False and view["url"] is None
    status, body = api("DELETE", "/v1/account/webhook", account.api_key)
    assert status == 404 and body["message"] == "no webhook is set for this account"


def test_a_finished_job_is_posted_to_the_webhook_signed(stack, account, fake_openai, receiver):
    secret = _set_webhook(account, receiver.url)

    job = _cluster_job(stack, account, fake_openai, "pour over kettle")
    stack.wait_for_invocations()

    (request,) = receiver.requests
    assert request["path"] == "/hooks/igny8?source=test"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["X-Igny8-Event"] == "job.succeeded"
    assert signed_correctly(request, secret)
    assert verify_signature(secret, request["headers"]["X-Igny8-Signature"], request["body"])
    assert not verify_signature("whsec_wrong", request["headers"]["X-Igny8-Signature"], request["body"])
    assert not verify_signature(secret, request["headers"]["X-Igny8-Signature"], request["body"] + b" ")
    payload = json.loads(request["body"])
    assert payload["task_id"] == job.task_id and payload["status"] == "completed"
    assert payload["function"] == "auto_cluster" and payload["counts"]["clusters_created"] == 1
    assert payload["counts"]["items"] == {"total": 1, "done": 1, "failed": 0}
    assert payload["credits"] == int(job.credits) and payload["finished_at"] == job.finished_at
    status, view = api("GET", "/v1/account/webhook", account.api_key)
    last = view["last_delivery"]
    assert last["status"] == "delivered" and last["attempts"] == 1 and last["http_status"] == 200
    assert last["task_id"] == job.task_id and last["event"] == "job.succeeded"


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt(stack, account, fake_openai, receiver):
    secret = _set_webhook(account, receiver.url)
    receiver.script = [503, 500]

    job = _cluster_job(stack, account, fake_openai, "milk frother")
    stack.wait_for_invocations()

    assert len(receiver.requests) == 3
    assert len({r["headers"]["X-Igny8-Delivery"] for r in receiver.requests}) == 1  # one event
    assert len({r["body"] for r in receiver.requests}) == 1
    assert all(signed_correctly(r, secret) for r in receiver.requests)
    last = Account.get(account.account_id).webhook_last_delivery
    assert (last["status"], last["attempts"], last["task_id"]) == ("delivered", 3, job.task_id)


def test_a_failed_job_and_a_timeout_then_success(stack, account, fake_openai, receiver):
    secret = _set_webhook(account, receiver.url)
    receiver.script = ["sleep"]  # the first attempt outlasts WEBHOOK_TIMEOUT_SECONDS
    ids = add_keywords(account.account_id, ["tamper mat"])
    fake_openai.queue_json({"no": "clusters"})

    job = run_job(stack, account.account_id, "auto_cluster", {"ids": ids})
    stack.wait_for_invocations()

    assert job.status == "failed"
    assert len(receiver.requests) == 2 and signed_correctly(receiver.requests[1], secret)
    assert receiver.requests[1]["headers"]["X-Igny8-Event"] == "job.failed"
    payload = json.loads(receiver.requests[1]["body"])
    assert payload["status"] == "failed" and payload["error"] == job.error
    assert Account.get(account.account_id).webhook_last_delivery["attempts"] == 2


def test_a_receiver_that_keeps_failing_gets_bounded_attempts_and_the_failure_is_kept(
    stack, account, fake_openai, receiver
):
    _set_webhook(account, receiver.url)
    receiver.script = [500] * 20

    job = _cluster_job(stack, account, fake_openai, "knock box")
    stack.wait_for_invocations()

    assert len(receiver.requests) == 5  # WEBHOOK_MAX_ATTEMPTS
    status, view = api("GET", "/v1/account/webhook", account.api_key)
    last = view["last_delivery"]
    assert last["status"] == "failed" and last["attempts"] == 5 and last["error"] == "HTTP 500"
    assert last["task_id"] == job.task_id
    # The invocation fails, so Lambda hands the event to the dead-letter queue.
    event = {
        "id": "e-1",
        "source": "igny8",
        "detail-type": "Job Succeeded",
        "detail": {"account_id": account.account_id},
    }
    receiver.script = [500] * 5
    with pytest.raises(WebhookDeliveryFailed, match="not delivered after 5 attempt"):
        deliver_event(event)


def test_events_that_are_not_job_events_are_ignored(stack, account, receiver):
    _set_webhook(account, receiver.url)
    detail = {"account_id": account.account_id, "task_id": "t-1"}

    for event in (
        {"id": "e-3", "source": "someone.else", "detail-type": "Job Succeeded", "detail": detail},
        {"id": "e-4", "source": "igny8", "detail-type": "Something Else", "detail": detail},
        {"id": "e-5", "source": "igny8", "detail-type": "Job Failed", "detail": "not an object"},
    ):
        assert deliver_event(event) == {"delivered": False, "reason": "not a job event"}

    assert receiver.requests == []


@pytest.mark.parametrize(("step", "error"), [(302, "redirects are not followed"), (410, "HTTP 410")])
def test_redirects_and_other_4xx_are_not_retried(stack, account, fake_openai, receiver, step, error):
    _set_webhook(account, receiver.url)
    receiver.script = [step]

    _cluster_job(stack, account, fake_openai, f"scale {step}")
    stack.wait_for_invocations()

    assert [r["path"] for r in receiver.requests] == ["/hooks/igny8?source=test"]  # /elsewhere never
    last = Account.get(account.account_id).webhook_last_delivery
    assert last["status"] == "failed" and last["attempts"] == 1 and error in last["error"]


def test_a_slow_receiver_never_holds_up_the_job(stack, account, fake_openai, receiver, monkeypatch):
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "10")
    reset_settings()
    _set_webhook(account, receiver.url)
    receiver.script = ["hold"]

    started = time.monotonic()
    job = _cluster_job(stack, account, fake_openai, "drip scale")

    assert time.monotonic() - started < 8 and job.status == "completed"
    deadline = time.monotonic() + 5
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(receiver.requests) == 1  # the receiver has it and has not answered yet
    assert Account.get(account.account_id).webhook_last_delivery is None
    receiver.release.set()
    stack.wait_for_invocations()
    assert Account.get(account.account_id).webhook_last_delivery["status"] == "delivered"


# ---------------------------------------------------------------- where a webhook may point
_real_getaddrinfo = socket.getaddrinfo
DNS: dict[str, str] = {}


def _getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
    if isinstance(host, str) and host.lower() in DNS:
        family = socket.AF_INET6 if ":" in DNS[host.lower()] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (DNS[host.lower()], port))]
    return _real_getaddrinfo(host, port, *args, **kwargs)


@pytest.fixture
def dns(stack, monkeypatch) -> Iterator[dict[str, str]]:
    """Fake DNS for some names, and the outbound rules as deployed (no loopback, no allow-list)."""
    monkeypatch.setattr(socket, "getaddrinfo", _getaddrinfo)
    for name in ("WEBHOOK_ALLOW_LOOPBACK", "WEBHOOK_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    reset_settings()
    DNS.clear()
    yield DNS
    DNS.clear()
    monkeypatch.undo()
    reset_settings()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.test/igny8", "url must use https"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254, a link-local address"),
        ("https://127.0.0.1:8443/hook", "127.0.0.1, a loopback address"),
        ("https://10.1.2.3/hook", "10.1.2.3, a private address"),
        ("https://[fd00::7]/hook", "fd00::7, a unique-local address"),
        ("https://[::ffff:169.254.169.254]/hook", "a link-local address (169.254.0.0/16"),
        ("https://hooks.internal.test/igny8", "'hooks.internal.test' resolves to 192.168.4.4, a private"),
        ("https://user:pw@hooks.example.test/igny8", "must not carry credentials"),
        ("ftp://hooks.example.test/igny8", "url must be an https URL"),
        ("https://nowhere.invalid/igny8", "'nowhere.invalid' does not resolve"),
    ],
)
def test_internal_targets_are_refused_when_saved(account, dns, url, why):
    dns["hooks.example.test"] = "93.184.215.14"
    dns["hooks.internal.test"] = "192.168.4.4"

    status, body = api("PUT", "/v1/account/webhook", account.api_key, {"url": url})

    assert status == 400, body
    assert body["error"] == "InputInvalid" and body["message"].startswith("url "), body
    assert why in body["message"], body
    assert Account.get(account.account_id).webhook_url is None  # nothing stored
    status, view = api("GET", "/v1/account/webhook", account.api_key)
    assert status == 200 and view["configured"] is False


def test_a_public_host_and_an_operator_allowed_host_are_accepted(account, dns, monkeypatch):
    dns["hooks.example.test"] = "93.184.215.14"
    dns["hooks.internal.test"] = "10.0.0.9"
    status, body = api("PUT", "/v1/account/webhook", account.api_key, {"url": "https://hooks.example.test/x"})
    assert status == 200 and body["url"] == "https://hooks.example.test/x"

    monkeypatch.setenv("WEBHOOK_ALLOWED_HOSTS", "hooks.internal.test")
    reset_settings()
    status, body = api(
        "PUT", "/v1/account/webhook", account.api_key, {"url": "https://hooks.internal.test/x"}
    )
    assert status == 200, body
    status, body = api("PUT", "/v1/account/webhook", account.api_key, {"url": "http://hooks.internal.test/x"})
    assert status == 400 and "url must use https" in body["message"]


def test_dns_that_later_points_inside_is_refused_at_delivery_without_connecting(stack, account, dns):
    receiver = Receiver()
    try:
        port = receiver.server.server_address[1]
        dns["hooks.example.test"] = "93.184.215.14"  # public when saved
        _set_webhook(account, f"https://hooks.example.test:{port}/igny8")
        dns["hooks.example.test"] = "127.0.0.1"  # rebound to the receiver on loopback
        event = {
            "id": "e-2",
            "source": "igny8",
            "detail-type": "Job Failed",
            "detail": {"account_id": account.account_id},
        }

        with pytest.raises(WebhookDeliveryFailed, match="a loopback address"):
            deliver_event(event)

        assert receiver.requests == []
        last = Account.get(account.account_id).webhook_last_delivery
        assert last["status"] == "failed" and last["attempts"] == 1 and last["error"].startswith("refused")
    finally:
        receiver.stop()
