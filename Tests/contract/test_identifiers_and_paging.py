"""One way to name an instance and one way to page, on every list.

A sign names an instance `{partyId}/{instanceGuid}` (with `app`); records, events and deliveries show its key
`{org}/{app}/instances/{partyId}/{instanceGuid}`. Every `instance=` filter takes either form with the same answer,
and refuses anything else with a 400 naming the parameter. Every list pages the same way: the `Next-Cursor` header
is the `after` of the following page and is absent on the last one (the event feed always has it).
"""
import json

from support import check, http, wait_for


def get(gw, path, key):
    status, headers, text = http("GET", gw.url + path, headers={"Authorization": f"Bearer {key}"})
    return status, {k.lower(): v for k, v in headers.items()}, text


def all_pages(gw, path, key, member):
    """Follows Next-Cursor with limit=1 until it is absent; returns the items and the number of pages."""
    items, after, pages = [], None, 0
    while pages < 200:
        sep = "&" if "?" in path else "?"
        status, headers, text = get(gw, f"{path}{sep}limit=1" + (f"&after={after}" if after else ""), key)
        assert status == 200, text
        body = json.loads(text)
        check(f"{path}: no `next` member in the body (the cursor is the header)", "next" not in body, text[:200])
        items += body[member]
        pages += 1
        after = headers.get("next-cursor")
        if after is None:
            return items, pages
    raise AssertionError(f"{path}: paging did not end")


def test_instance_forms_and_paging(gateway, simulator, subscriber):
    gw = gateway(events={"allowedDestinations": ["127.0.0.0/8"]})
    key = gw.client_key()
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    status, _, text = http("POST", gw.url + "/v1/subscriptions", headers=auth,
                           body=json.dumps({"url": subscriber.url("all")}))
    check("a subscription for every event", status == 201, text)
    instances = [simulator.new_instance("A") for _ in range(2)]
    for number, instance_id in enumerate(instances):
        status, _, text = http("POST", gw.url + "/v1/signatures", headers={**auth, "Idempotency-Key": f'"ids-{number}"'},
                               body=json.dumps({"app": "ttd/signing-app", "instanceId": instance_id, "mode": "parallel"}))
        check(f"sign {number} succeeds", status == 200, text[:300])
    short = instances[0]
    full = f"ttd/signing-app/instances/{short}"
    wait_for(lambda: len(json.loads(get(gw, f"/v1/deliveries?instance={full}", key)[2])["items"]) > 0,
             what="a delivery of the first instance")

    # Compared by identity: a delivery's state may change between the two reads.
    for route, member, identity in (("/v1/audit", "records", "sequence"), ("/v1/deliveries", "items", "id")):
        _, _, by_key = get(gw, f"{route}?instance={full}", key)
        _, _, by_short = get(gw, f"{route}?instance={short}", key)
        listed = json.loads(by_key)[member]
        check(f"{route}: the key form finds the instance", len(listed) > 0 and all(
            r["instance"] == full for r in listed), by_key[:300])
        check(f"{route}: {{partyId}}/{{guid}} finds the same",
              [r[identity] for r in json.loads(by_short)[member]] == [r[identity] for r in listed], by_short[:300])
    _, _, feed_key = get(gw, f"/v1/events?instance={full}", key)
    _, _, feed_short = get(gw, f"/v1/events?instance={short}", key)
    check("/v1/events: both forms give the same events, only the instance's",
          feed_key == feed_short and len(json.loads(feed_key)) > 0
          and all(e["subject"].endswith(short) or full in json.dumps(e) for e in json.loads(feed_key)), feed_key[:300])

    for bad in ("51281269", "ttd/signing-app/51281269/x", "51281269/not-a-guid", "../../etc"):
        for route in ("/v1/audit", "/v1/deliveries", "/v1/events"):
            status, _, text = get(gw, f"{route}?instance={bad}", key)
            problem = json.loads(text)
            check(f"{route}?instance={bad}: 400 naming the parameter",
                  status == 400 and problem["errors"][0]["parameter"] == "instance"
                  and "{partyId}/{instanceGuid}" in problem["detail"], text[:300])

    identities = {"records": lambda r: r["sequence"], "items": lambda r: r.get("id") or r["instance"]["instanceId"]}
    for route, member in (("/v1/audit", "records"), ("/v1/deliveries", "items"), ("/v1/tracked-instances", "items")):
        _, _, whole = get(gw, f"{route}?limit=1000", key)
        expected = [identities[member](r) for r in json.loads(whole)[member]]
        paged, pages = all_pages(gw, route, key, member)
        paged = [identities[member](r) for r in paged]
        check(f"{route}: following Next-Cursor one by one gives every item once, in order",
              paged == expected and pages >= len(expected) >= 2, f"{len(paged)} vs {len(expected)} in {pages} pages")
    status, headers, _ = get(gw, "/v1/events?after=0&limit=1", key)
    last_status, last_headers, last = get(gw, "/v1/events?after=999999", key)
    check("/v1/events: Next-Cursor on a page and on an empty tail (more events come)",
          status == 200 and "next-cursor" in headers and last == "[]" and last_headers.get("next-cursor") == "999999")
