"""Shared pieces of the events tests: a scriptable loopback subscriber and the CloudEvent / Standard Webhooks
checks every delivery goes through."""
import json
import re
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook

from .checks import check

try:  # cloudevents < 2
    from cloudevents.http import from_dict, from_http
except ImportError:  # cloudevents >= 2 keeps the same API under v1
    from cloudevents.v1.http import from_dict, from_http


class Subscriber:
    """A ThreadingHTTPServer on 127.0.0.1 whose answer per request is scripted per path.

    Each endpoint is `/s/<name>`; `behaviour[name]` is a function (record, nth) -> (status, headers, body), where
    `nth` counts earlier requests with the same webhook-id on that endpoint. Every request is recorded with its
    arrival time, its arrival order (`seq`, over all endpoints: for order checks that must not depend on the
    clock), raw body, headers and the status answered; `sent` turns true once the whole answer is written."""

    def __init__(self, port=0):
        self.lock = threading.Lock()
        self.records = []
        self.arrivals = 0
        self.behaviour = {}
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                name = self.path.split("/s/", 1)[-1].split("?")[0]
                record = {
                    "time": time.time(), "name": name, "path": self.path, "body": body,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
                with subscriber.lock:
                    record["seq"] = subscriber.arrivals
                    subscriber.arrivals += 1
                    nth = sum(1 for r in subscriber.records
                              if r["name"] == name and r["headers"].get("webhook-id") == record["headers"].get("webhook-id"))
                    behave = subscriber.behaviour.get(name, lambda r, n: (200, {}, b""))
                # Outside the lock: a slow endpoint must not hold up the others.
                status, headers, answer = behave(record, nth)
                with subscriber.lock:
                    record["status"] = status
                    subscriber.records.append(record)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if status != 204:  # a 204 has no body and no Content-Length
                    self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                with subscriber.lock:
                    record["sent"] = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return f"http://127.0.0.1:{self.port}/s/{name}"

    def received(self, name=None, status=None):
        with self.lock:
            return [r for r in self.records if (name is None or r["name"] == name) and (status is None or r["status"] == status)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def parse_time(text):
    """RFC 3339 with any number of fraction digits (Python's fromisoformat takes at most 6)."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text)
    if not match:
        raise ValueError(f"not RFC 3339: {text}")
    base = datetime.fromisoformat(match.group(1) + ("+00:00" if match.group(3) == "Z" else match.group(3)))
    fraction = float("0." + match.group(2)) if match.group(2) else 0.0
    return base.astimezone(timezone.utc).timestamp() + fraction


def event_of(record):
    return json.loads(record["body"])


def verify_delivery(name, record, secrets, instance_url_prefix):
    """Standard Webhooks signature (each secret alone), CloudEvents parsing, and the event's attributes."""
    headers = record["headers"]
    body = record["body"]
    for index, secret in enumerate(secrets):
        try:
            Webhook(secret).verify(body, headers)
            check(f"{name}: signature verifies with secret #{index}", True)
        except Exception as error:  # noqa: BLE001 - the library raises its own types
            check(f"{name}: signature verifies with secret #{index}", False, repr(error))
    check(f"{name}: content type", headers.get("content-type", "").startswith("application/cloudevents+json"),
          headers.get("content-type"))
    try:
        event = from_http(headers, body)
    except Exception as error:  # noqa: BLE001
        check(f"{name}: parses as a CloudEvent", False, repr(error))
        return None
    raw = json.loads(body)
    check(f"{name}: specversion 1.0", event["specversion"] == "1.0", event["specversion"])
    check(f"{name}: id == webhook-id", event["id"] == headers.get("webhook-id"), f"{event['id']} {headers.get('webhook-id')}")
    source = event["source"]
    instance = raw.get("resourceinstance", "")
    check(f"{name}: source is the instance URL", source.startswith(instance_url_prefix) and source.endswith("/instances/" + instance),
          source)
    check(f"{name}: subject /party/<id>", re.fullmatch(r"/party/\d+", event["subject"] or "") is not None, event["subject"])
    check(f"{name}: resourceinstance partyId/guid",
          re.fullmatch(r"\d+/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", instance) is not None, instance)
    try:
        parse_time(raw["time"])
        check(f"{name}: time is RFC 3339", True)
    except (KeyError, ValueError) as error:
        check(f"{name}: time is RFC 3339", False, repr(error))
    check(f"{name}: traceparent header",
          re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", headers.get("traceparent", "")) is not None,
          headers.get("traceparent"))
    # "Now" when it was sent: the attempt's start in whole seconds, so not after the request arrived (same clock),
    # and well within a receiver's tolerance before it. Judged against the arrival, not the time of this check
    # (a long or loaded run verifies early deliveries minutes after they came).
    stamp = int(headers.get("webhook-timestamp", "0"))
    check(f"{name}: webhook-timestamp is now", 0 <= record["time"] - stamp < 120,
          f"{headers.get('webhook-timestamp')} for a request that arrived at {record['time']:.3f}")
    data = event.data
    ok = isinstance(data, dict) and isinstance(data.get("instance"), dict)
    kind = event["type"]
    if kind.endswith(".signee.signed") or ".signee.notification" in kind or ".signee.delegation" in kind:
        ok = ok and isinstance(data.get("signee"), dict) and isinstance(data.get("signing"), dict)
        ok = ok and event["subject"] == f"/party/{data['signee'].get('partyId')}"
    elif kind.endswith(".signing.completed"):
        ok = ok and isinstance(data.get("signing"), dict)
    elif ".process." in kind:
        ok = ok and isinstance(data.get("process"), dict)
    elif ".sign." in kind:
        ok = ok and isinstance(data.get("problem"), dict)
    else:
        ok = False
    check(f"{name}: data shape for {kind}", ok, json.dumps(data)[:300])
    return event
