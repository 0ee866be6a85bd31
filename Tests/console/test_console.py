"""The operator console in a real browser (Debian's headless Chromium through Selenium) against a real gateway on
the simulator: sign in with an API key, watch a sign appear on the Signings page, open the instance's story,
rotate a subscriber's secret (shown once), retry a dead letter, search and verify the audit log, sign out. A client
with fewer rights sees less and is refused (403) when it tries more through its session; a state change without
the session's CSRF token, or with another, is refused; an expired session is refused. Waits are for conditions with
a deadline (the pages poll every 5 s), never sleeps as synchronisation. Every page is photographed into the test's
directory (CONSOLE_SCREENSHOT_DIR=<dir> copies them there; docs/console-health.png is one, copied by hand).
"""
import hashlib
import json
import os
import re
import secrets
import shutil
import time
import uuid

import pytest

from support import ROOT, check, http, wait_for

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
DEADLINE = 40  # seconds for a page to show what the gateway has (it polls every 5 s)


def new_key():
    return "sgk_" + secrets.token_hex(32)


def client(key, operations, apps=("*",)):
    return {"credentials": [{"id": "k1", "apiKeySha256": hashlib.sha256(key.encode()).hexdigest()}],
            "policy": {"apps": list(apps), "operations": list(operations), "tokenProfiles": ["*"],
                       "defaultTokenProfile": "dev"}}


@pytest.fixture
def browser(tmp_path):
    # `make test-deps` installs selenium, chromium and chromium-driver: a missing one fails here, never skips.
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--disable-gpu", "--no-first-run"):
        options.add_argument(argument)
    for binary in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(binary):
            options.binary_location = binary
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    # Chromium's profile and its singleton socket's directory (under TMPDIR) in the test's own directory: left in
    # /tmp, one of each stayed behind after every run.
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    environment = dict(os.environ, TMPDIR=str(tmp_path))
    driver = webdriver.Chrome(service=Service(driver_path, env=environment), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def shoot(driver, work, name):
    path = os.path.join(work, f"console-{name}.png")
    driver.save_screenshot(path)
    extra = os.environ.get("CONSOLE_SCREENSHOT_DIR")
    if extra:
        os.makedirs(extra, exist_ok=True)
        shutil.copy(path, os.path.join(extra, f"console-{name}.png"))
    return path


def until(driver, condition, what, deadline=DEADLINE):
    """The first truthy value of `condition(driver)` within the deadline (exceptions count as not yet); None."""
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(driver, deadline, poll_frequency=0.1, ignored_exceptions=(Exception,)).until(condition)
    except Exception:
        check(f"in time: {what}", False, driver.current_url)
        return None


def css(selector):
    from selenium.webdriver.common.by import By

    def find(driver):
        found = driver.find_elements(By.CSS_SELECTOR, selector)
        return found[0] if found and found[0].is_displayed() else None
    return find


def sign_in(driver, gw, key):
    from selenium.webdriver.common.by import By
    driver.get(gw.url + "/console/")
    field = until(driver, css("#api-key"), "the sign-in form")
    field.send_keys(key)
    driver.find_element(By.ID, "sign-in").click()
    return until(driver, css("#health-status"), "the health page after sign-in")


def go(driver, gw, page):
    driver.get(gw.url + "/console/#" + page)


def session_cookie(gw, key):
    """Signs in by JSON: (cookie header value, csrf token, answer)."""
    status, headers, text = http("POST", gw.url + "/console/session", json.dumps({"apiKey": key}),
                                 {"Content-Type": "application/json"})
    cookie = (headers.get("Set-Cookie") or headers.get("set-cookie") or "").split(";")[0]
    body = json.loads(text) if status == 201 else {}
    return cookie, body.get("csrfToken"), status, headers, text


def test_console_operator_walk(simulator, gateway, subscriber, browser, work):
    from selenium.webdriver.common.by import By
    admin_key = new_key()
    gw = gateway(logLevel="info", clients={"ops": client(admin_key, ["sign", "processNext", "read", "events", "admin"])},
                 events={"allowedDestinations": ["127.0.0.0/8"], "deliverySchedule": ["200ms"], "deliveryJitter": 0})
    api = {"Authorization": "Bearer " + admin_key, "Content-Type": "application/json"}

    # The page itself: strict headers, no inline script.
    status, headers, page = http("GET", gw.url + "/console/")
    check("the console page answers 200", status == 200, str(status))
    check("strict Content-Security-Policy", headers.get("Content-Security-Policy") == CSP, str(headers))
    check("nosniff and no referrer", headers.get("X-Content-Type-Options") == "nosniff"
          and headers.get("Referrer-Policy") == "no-referrer", str(headers))
    check("no inline script", not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), page[:400])
    check("no inline style", "style=" not in page and "<style" not in page)

    # Sign in; the cookie is HttpOnly and SameSite=Strict; the key is not kept or shown.
    check("the health page shows after sign-in", sign_in(browser, gw, admin_key) is not None)
    cookie = browser.get_cookie("sg_console") or {}
    check("the session cookie is HttpOnly", cookie.get("httpOnly") is True, str(cookie))
    check("the session cookie is SameSite=Strict", cookie.get("sameSite") == "Strict", str(cookie))
    check("the key is not in the cookie", admin_key not in json.dumps(cookie))
    check("the key is not on the page", admin_key not in browser.page_source)
    health = until(browser, lambda d: d.find_element(By.ID, "health-status").text in ("ready", "degraded"),
                   "health status")
    check("health says ready", health is not None)
    until(browser, css("#outbox-pending"), "the outbox card")
    shoot(browser, work, "health")

    # Two subscribers: one delivered to, one that always fails (a dead letter after one retry).
    subscriber.behaviour["broken"] = lambda record, nth: (500, {}, b"down")
    ids = {}
    for name in ("fine", "broken"):
        status, _, text = http("POST", gw.url + "/v1/subscriptions", json.dumps({"url": subscriber.url(name),
                                                                                 "description": name}), api)
        check(f"subscription {name} created", status == 201, text)
        ids[name] = json.loads(text)["id"] if status == 201 else None

    # A sign through the API appears on the Signings page.
    go(browser, gw, "signings")
    until(browser, css("#signings-result"), "the signings page")
    instance = simulator.new_instance("A")
    status, _, text = http("POST", gw.url + "/v1/signatures",
                           json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel"}),
                           {**api, "Idempotency-Key": f"console-{uuid.uuid4()}"})
    check("the sign answered 200", status == 200, text[:300])
    party, guid = instance.split("/")
    row = until(browser, css(f'tr[data-instance="{instance}"]'), "the signed instance on the Signings page")
    check("the signed instance appears on the Signings page", row is not None)
    if row is not None:
        chips = row.find_elements(By.CSS_SELECTOR, ".chip")
        check("the row has a chip per signee", len(chips) >= 1, row.text)
        check("a chip says signed", any("signed" in c.get_attribute("class") for c in chips), row.text)
    shoot(browser, work, "signings")

    # The instance's story: the sign's audit record, its events, in time order.
    if row is not None:
        row.find_element(By.CSS_SELECTOR, "a").click()
    else:
        go(browser, gw, f"instance/ttd/signing-app/{party}/{guid}")
    story = until(browser, lambda d: "sign by ops" in d.find_element(By.ID, "story").text
                  and "signee.signed" in d.find_element(By.ID, "story").text and d.find_element(By.ID, "story"),
                  "the story with the sign call and its events")
    check("the story shows the sign call and the signee.signed event", story is not None)
    shoot(browser, work, "story")

    # Rotate the fine subscriber's secret: shown once, and it is the one that signs from now on.
    go(browser, gw, "subscribers")
    sub_row = until(browser, css(f'tr[data-subscription="{ids["fine"]}"]'), "the subscriber row")
    secret = None
    if sub_row is not None:
        sub_row.find_element(By.CSS_SELECTOR, "button.rotate").click()
        alert = until(browser, lambda d: d.switch_to.alert, "the rotate confirmation")
        if alert:
            alert.accept()
        shown = until(browser, css("#new-secret"), "the new secret")
        secret = shown.text if shown else None
        check("the rotated secret is shown once, as whsec_", bool(secret) and secret.startswith("whsec_"), str(secret))
        shoot(browser, work, "subscribers")
        browser.find_element(By.CSS_SELECTOR, "#secret-box button").click()
        check("the secret is gone once dismissed", not browser.find_elements(By.ID, "new-secret"))
    status, _, text = http("GET", gw.url + "/v1/audit?operation=subscription.rotateSecret", None, api)
    records = json.loads(text).get("records", []) if status == 200 else []
    check("the rotation is audited with the session's client", any(r["clientId"] == "ops" and r["instance"] == ids["fine"]
                                                                   for r in records), text[:400])
    check("the secret is not in the audit answer", not secret or secret not in text)
    check("the secret is not in the gateway's log", not secret or secret not in gw.log_text())
    check("the key is not in the gateway's log", admin_key not in gw.log_text())

    # Dead letters: the broken subscriber's deliveries die after one retry; retry one from the page.
    dead = wait_for(lambda: json.loads(http("GET", gw.url + f"/v1/deliveries?status=dead&subscription={ids['broken']}",
                                            None, api)[2]).get("items"), deadline=DEADLINE)
    check("the failing subscriber has dead letters", bool(dead))
    # Its health on the Subscribers page: the recent success rate and the last failure with its verdict.
    go(browser, gw, "subscribers")
    broken_row = until(browser, lambda d: (lambda r: r if r and "last failure" in r.text else None)(
        css(f'tr[data-subscription="{ids["broken"]}"]')(d)), "the failing subscriber's last failure")
    check("the failing subscriber shows 0% delivered and its last failure's verdict",
          broken_row is not None and "0% of" in broken_row.text and "server_error" in broken_row.text,
          broken_row.text if broken_row else "")
    go(browser, gw, "dead-letters")
    first = until(browser, css("tr[data-delivery] button.retry"), "a dead letter with a retry button")
    shoot(browser, work, "dead-letters")
    if first is not None:
        delivery = first.find_element(By.XPATH, "./ancestor::tr").get_attribute("data-delivery")
        before = len(subscriber.received("broken"))
        first.click()
        until(browser, lambda d: "queued again" in d.find_element(By.ID, "message").text, "the retry confirmation")
        again = wait_for(lambda: len(subscriber.received("broken")) > before, deadline=DEADLINE)
        check("the retried delivery was attempted again", bool(again))
        status, _, text = http("GET", gw.url + "/v1/audit?operation=delivery.retry", None, api)
        check("the retry is audited", status == 200 and any(r["clientId"] == "ops" for r in json.loads(text)["records"]),
              text[:300])
        check("the retried delivery is the one clicked", delivery is not None)

    # Audit: search by operation, a bad field answered with a message, verify the chain.
    go(browser, gw, "audit")
    op = until(browser, css("#audit-operation"), "the audit form")
    if op is not None:
        op.send_keys("sign")
        browser.find_element(By.ID, "audit-search").click()
        until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#audit-result tbody tr")
              and all(r.find_elements(By.TAG_NAME, "td")[3].text == "sign"
                      for r in d.find_elements(By.CSS_SELECTOR, "#audit-result tbody tr")),
              "only sign records")
        shoot(browser, work, "audit")
        browser.execute_script("document.getElementById('audit-outcome').value = 'x'.repeat(300)")
        browser.find_element(By.ID, "audit-search").click()
        bad = until(browser, lambda d: "256" in d.find_element(By.ID, "audit-result").text, "the bad-field message")
        check("a too long field gets a clear message, not a broken page", bad is not None)
        browser.execute_script("document.getElementById('audit-outcome').value = ''")
        browser.find_element(By.ID, "audit-verify").click()
        verified = until(browser, lambda d: "intact" in d.find_element(By.ID, "verify-result").text, "the verify result")
        check("verify says the chain is intact", verified is not None)

    # The health page after all that (the README's screenshot: CONSOLE_SCREENSHOT_DIR=<dir>, then
    # console-health-busy.png).
    go(browser, gw, "health")
    until(browser, lambda d: d.find_element(By.ID, "outbox-pending").text != "", "the health page again")
    shoot(browser, work, "health-busy")

    # Sign out: back to the sign-in form; the old session is refused.
    browser.find_element(By.ID, "sign-out").click()
    until(browser, css("#api-key"), "the sign-in form after sign-out")
    shoot(browser, work, "signed-out")
    if cookie.get("value"):
        status, _, text = http("GET", gw.url + "/v1/status", None, {"Cookie": "sg_console=" + cookie["value"]})
        check("the signed-out session is refused (401)", status == 401, f"{status} {text[:200]}")


def test_console_rights_csrf_and_expiry(simulator, gateway, browser, work):
    from selenium.webdriver.common.by import By
    admin_key, viewer_key = new_key(), new_key()
    gw = gateway(logLevel="warning",
                 clients={"ops": client(admin_key, ["sign", "read", "events", "admin"]),
                          "viewer": client(viewer_key, ["events"], apps=["ttd/signing-app"])},
                 events={"allowedDestinations": ["127.0.0.0/8"]})

    # A wrong key: refused, no session.
    status, headers, text = http("POST", gw.url + "/console/session", json.dumps({"apiKey": new_key()}),
                                 {"Content-Type": "application/json"})
    check("an unknown key is refused (401 problem)", status == 401 and "problem+json" in headers.get("Content-Type", ""),
          f"{status} {text[:200]}")
    check("no cookie for an unknown key", not headers.get("Set-Cookie"))
    status, _, text = http("POST", gw.url + "/console/session", "{\"apiKey\": 5}", {"Content-Type": "application/json"})
    check("a malformed sign-in is a 400 problem", status == 400, f"{status} {text[:200]}")

    # The viewer through its session: what its policy allows, and 403 beyond it.
    cookie, csrf, status, headers, text = session_cookie(gw, viewer_key)
    check("the viewer signs in (201)", status == 201, text[:200])
    check("the key is not echoed", viewer_key not in text and viewer_key not in json.dumps(headers))
    set_cookie = headers.get("Set-Cookie", "")
    check("the cookie is HttpOnly, SameSite=Strict, Path=/", all(p in set_cookie for p in ("HttpOnly", "SameSite=Strict", "Path=/")),
          set_cookie)
    check("no Secure attribute over plain HTTP", "Secure" not in set_cookie, set_cookie)
    s = {"Cookie": cookie, "Content-Type": "application/json"}
    status, _, text = http("GET", gw.url + "/v1/subscriptions", None, s)
    check("the viewer's session reads its subscriptions", status == 200, f"{status} {text[:200]}")
    status, _, text = http("GET", gw.url + "/v1/audit", None, s)
    check("the viewer's session is refused the audit log (403)", status == 403, f"{status} {text[:200]}")
    status, _, text = http("GET", gw.url + "/v1/status", None, s)
    body = json.loads(text) if status == 200 else {}
    check("the viewer's status omits the audit head and tracked counts",
          status == 200 and body.get("audit") is None and body.get("trackedInstances") is None, text[:300])
    sub = json.dumps({"url": "http://127.0.0.1:9/hook", "apps": ["ttd/signing-app"]})
    status, _, text = http("POST", gw.url + "/v1/subscriptions", sub, s)
    check("a change without the CSRF token is refused (403)", status == 403 and "X-CSRF-Token" in text, f"{status} {text[:200]}")
    status, _, text = http("POST", gw.url + "/v1/subscriptions", sub, {**s, "X-CSRF-Token": "0" * 64})
    check("a change with another CSRF token is refused (403)", status == 403, f"{status} {text[:200]}")
    status, _, text = http("POST", gw.url + "/v1/subscriptions", sub, {**s, "X-CSRF-Token": csrf or ""})
    check("a change with the session's CSRF token is made (201)", status == 201, f"{status} {text[:200]}")
    status, _, text = http("POST", gw.url + "/v1/signatures",
                           json.dumps({"app": "ttd/signing-app", "instanceId": simulator.new_instance("A"), "mode": "parallel"}),
                           {**s, "X-CSRF-Token": csrf or "", "Idempotency-Key": f"viewer-{uuid.uuid4()}"})
    check("the viewer may not sign (403)", status == 403, f"{status} {text[:200]}")
    status, _, text = http("GET", gw.url + "/v1/audit?operation=subscription.create", None,
                           {"Authorization": "Bearer " + admin_key})
    check("the viewer's change is audited in its name", status == 200 and any(r["clientId"] == "viewer"
                                                                              for r in json.loads(text)["records"]), text[:300])
    status, _, text = http("GET", gw.url + "/v1/audit?operation=refused", None, {"Authorization": "Bearer " + admin_key})
    check("the CSRF refusals are audited", status == 200 and any("csrf-token" in r["outcome"]
                                                                 for r in json.loads(text)["records"]), text[:400])

    # Expiry, on a second gateway whose sessions end after 3 s unused; waiting that out is what is tested, not a
    # synchronisation.
    os.makedirs(os.path.join(work, "short"), exist_ok=True)
    short = gateway(name="short", logLevel="warning", clients={"viewer": client(viewer_key, ["events"])},
                    console={"sessionMinutes": 0.05}, dataDirectory=os.path.join(work, "short"))
    short_cookie, _, status, _, text = session_cookie(short, viewer_key)
    check("signed in on the short-session gateway", status == 201, text[:200])
    status, _, text = http("GET", short.url + "/v1/subscriptions", None, {"Cookie": short_cookie})
    check("the fresh session works", status == 200, f"{status} {text[:200]}")
    time.sleep(4)
    status, _, text = http("GET", short.url + "/v1/subscriptions", None, {"Cookie": short_cookie})
    check("an expired session is refused (401)", status == 401, f"{status} {text[:200]}")
    status, _, text = http("GET", short.url + "/console/session", None, {"Cookie": short_cookie})
    check("the console says the session ended (401)", status == 401, f"{status} {text[:200]}")

    # In the browser the viewer sees less: no audit card, and the audit page says why.
    check("the viewer signs in in the browser", sign_in(browser, gw, viewer_key) is not None)
    check("no audit card for the viewer", "Audit chain" not in browser.find_element(By.ID, "view").text)
    go(browser, gw, "audit")
    said = until(browser, lambda d: "needs the admin operation" in d.find_element(By.ID, "view").text, "the refusal text")
    check("the audit page tells the viewer it needs admin", said is not None)
    shoot(browser, work, "viewer-audit")
    # Phone width: the pages still lay out (navigation wraps, tables scroll).
    browser.set_window_size(390, 844)
    go(browser, gw, "signings")
    until(browser, css("#signings-result"), "the signings page at phone width")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    check("no horizontal page overflow at phone width", width <= 400, str(width))
    shoot(browser, work, "phone-signings")


def test_console_session_spans_replicas(simulator, gateway, postgres_database):
    """Two replicas on one PostgreSQL, as behind the compose nginx or a Kubernetes Service: a session opened on one is
    known to the other, and signing out on either ends it on both."""
    url = postgres_database()
    key = new_key()
    replicas = [
        gateway(f"console-replica-{n}", clients={"ops": client(key, ["read", "admin"])},
                storage={"engine": "postgres", "postgresURL": url})
        for n in range(2)]
    cookie, csrf, status, _, text = session_cookie(replicas[0], key)
    check("sign-in on replica 0", status == 201 and cookie.startswith("sg_console="), text[:200])
    status, _, text = http("GET", replicas[1].url + "/console/session", None, {"Cookie": cookie})
    check("replica 1 knows the session", status == 200 and json.loads(text).get("clientId") == "ops", text[:200])
    status, _, text = http("GET", replicas[1].url + "/v1/audit?limit=1", None, {"Cookie": cookie})
    check("replica 1 serves /v1 under the session", status == 200, text[:200])
    status, _, text = http("DELETE", replicas[1].url + "/console/session", None,
                           {"Cookie": cookie, "X-CSRF-Token": csrf or ""})
    check("sign-out on replica 1", status == 204, text[:200])
    status, _, text = http("GET", replicas[0].url + "/console/session", None, {"Cookie": cookie})
    check("the session is gone on replica 0 too", status == 401, text[:200])


def test_console_bad_input_gets_a_message(simulator, gateway, browser, work):
    """Every form and address field with a bad value: a clear message on the page, never a broken one."""
    from selenium.webdriver.common.by import By
    key = new_key()
    gw = gateway(clients={"ops": client(key, ["sign", "processNext", "read", "events", "admin"])})
    check("signed in", sign_in(browser, gw, key) is not None)

    def message_in(element_id):
        return lambda d: (lambda t: t if t.strip() else None)(d.find_element(By.ID, element_id).text)

    # Signings: an app filter that is no org/app.
    go(browser, gw, "signings")
    app = until(browser, css("#filter-app"), "the signings filter")
    if app is not None:
        app.send_keys("not an app")
        browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        text = until(browser, message_in("signings-result"), "the app filter's message")
        check("signings: a bad app filter says what is expected", text is not None and "org/app" in text, str(text))
    # An instance address that is none.
    go(browser, gw, "instance/ttd/signing-app/not-a-party/nope")
    found = until(browser, lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, "[role=alert]") if e.text.strip()],
                  "the bad address message")
    check("story: a bad instance address says what is expected",
          bool(found) and "instance address" in found[0].lower(), str(found))
    # Subscribers: a private address the gateway refuses as a destination (the API's problem, shown).
    go(browser, gw, "subscribers")
    url = until(browser, css("#new-url"), "the new subscriber form")
    if url is not None:
        url.send_keys("http://10.0.0.1/hook")
        browser.find_element(By.XPATH, "//button[text()='Add subscriber']").click()
        text = until(browser, message_in("message"), "the refused subscriber's message")
        check("subscribers: a refused address gets the gateway's reason", text is not None and len(text) > 10, str(text))
    # Audit: an instance filter far too long for the API.
    go(browser, gw, "audit")
    field = until(browser, css("#audit-instance"), "the audit form")
    if field is not None:
        browser.execute_script("arguments[0].removeAttribute('maxlength')", field)
        field.send_keys("x" * 300)
        browser.find_element(By.ID, "audit-search").click()
        text = until(browser, message_in("audit-result"), "the audit field's message")
        check("audit: a too long field gets a message", text is not None and len(text) > 10, str(text))
    # Through it all the page stayed the console: signed in, navigation intact.
    check("the page is still the signed-in console", bool(browser.find_elements(By.CSS_SELECTOR, "body.signed-in nav")))
    shoot(browser, work, "bad-input")
