#!/usr/bin/env python3
"""Figures of `make bench`, kept in one JSON file per run (RESULTS), and the closing report.

  report.py wrk NAME FILE            parse a wrk output (bench/load.lua), store it under NAME, print one line
  report.py chain NAME STAGE...      the distribution of the sum of one draw per STAGE (independent draws from the
                                     measured distributions): what a client calling the same upstream operations
                                     the way the gateway does would see; a STAGE "a|b" is calls made at once (the
                                     slower one counts), stored under NAME
  report.py set NAME KEY=VALUE...    store plain figures (RSS, call counts)
  report.py get NAME KEY             print one stored figure
  report.py summary                  every budget of issue 18 with its figure, PASS/FAIL; always exits 0
"""
import json
import os
import random
import re
import sys

RESULTS = os.environ["RESULTS"]


def load():
    try:
        with open(RESULTS) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def store(name, record):
    data = load()
    data.setdefault(name, {}).update(record)
    with open(RESULTS, "w") as f:
        json.dump(data, f, indent=1)


def ms(value, unit):
    value = float(value)
    return {"us": value / 1000, "ms": value, "s": value * 1000}[unit]


def parse_wrk(text):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    total = int(re.search(r"(\d+) requests in", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    quantiles = {}
    m = re.search(r"^QUANTILES (.*)$", text, re.M)
    for part in m.group(1).split():
        q, us = part.split(":")
        quantiles[float(q)] = int(us) / 1000
    slots, late = map(int, re.search(r"^SCHEDULE (\d+) (\d+)$", text, re.M).groups())
    return {
        "rps": rps,
        "requests": total,
        "non2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
        "p50": quantiles[50.0],
        "p90": quantiles[90.0],
        "p99": quantiles[99.0],
        "quantiles": sorted(quantiles.items()),
        "slots": slots,
        "late": late,
    }


def line(name, r):
    extra = ""
    if r.get("slots"):
        extra = f"   late sends {100 * r['late'] / max(r['slots'], 1):.1f}%"
    bad = r.get("non2xx", 0) + r.get("socket_errors", 0)
    return (f"{name:<34} {r['rps']:>9.0f} req/s   p50 {r['p50']:7.2f} ms   p90 {r['p90']:7.2f} ms   "
            f"p99 {r['p99']:7.2f} ms   errors {bad}{extra}")


def sampler(quantiles):
    qs = [(0.0, quantiles[0][1])] + [(q, v) for q, v in quantiles]

    def draw(rng):
        u = rng.random() * 100
        for (q0, v0), (q1, v1) in zip(qs, qs[1:]):
            if u <= q1:
                return v0 if q1 == q0 else v0 + (v1 - v0) * (u - q0) / (q1 - q0)
        return qs[-1][1]

    return draw


def chain(name, stages):
    data = load()
    parts = [p for stage in stages for p in stage.split("|")]
    draws = [[sampler(data[p]["quantiles"]) for p in stage.split("|")] for stage in stages]
    rng = random.Random(18)
    sums = sorted(sum(max(d(rng) for d in stage) for stage in draws) for _ in range(100000))

    def pct(q):
        return sums[min(len(sums) - 1, int(len(sums) * q / 100))]

    record = {"rps": min(data[p]["rps"] for p in parts), "p50": pct(50), "p90": pct(90), "p99": pct(99),
              "parts": parts, "non2xx": sum(data[p]["non2xx"] for p in parts),
              "socket_errors": sum(data[p]["socket_errors"] for p in parts)}
    store(name, record)
    print(line(name + " (" + " then ".join(s.replace("|", " with ") for s in stages) + ")", record))


def summary():
    d = load()
    rows = []

    def row(figure, value, budget, ok, unit=""):
        if value is None:
            rows.append((figure, "not measured", budget, "SKIP"))
        else:
            rows.append((figure, f"{value:.2f}{unit}", budget, "PASS" if ok(value) else "FAIL"))

    def get(name, key):
        return d.get(name, {}).get(key)

    calls = int(get("calls", "sign") or 0)
    # The median of the pairs run back to back (bench/run.sh: pairs), as the PostgreSQL ratio.
    row("sign path throughput, gateway / nginx, median of pairs", get("sign-vs-nginx", "ratio"), ">= 0.30x",
        lambda v: v >= 0.30, "x")
    row("read path throughput, gateway / nginx, median of pairs", get("read-vs-nginx", "ratio"), ">= 0.38x",
        lambda v: v >= 0.38, "x")

    def added(gw, direct, key, per=1):
        a, b = get(gw, key), get(direct, key)
        return (a - b) / per if a is not None and b is not None and per else None

    row(f"read p99 added at half load ({get('open-gateway-signees', 'rps') or 0:.0f} req/s)",
        added("open-gateway-signees", "open-sim-signing", "p99"), "<= 2 ms", lambda v: v <= 2, " ms")
    row(f"sign p99 added per upstream call at half load ({get('open-gateway-sign', 'rps') or 0:.0f} signs/s, "
        f"{calls} calls)", added("open-gateway-sign", "open-sim-chain", "p99", calls), "<= 2 ms",
        lambda v: v <= 2, " ms")
    row("read p50 added, sequential (1 connection)", added("seq-gateway-signees", "seq-sim-signing", "p50"),
        "<= 0.5 ms", lambda v: v <= 0.5, " ms")
    row(f"sign p50 added per upstream call, sequential ({calls} calls)",
        added("seq-gateway-sign", "seq-sim-chain", "p50", calls), "<= 0.5 ms", lambda v: v <= 0.5, " ms")
    row("PostgreSQL (fsync=on) sign / SQLite sign, median of pairs", get("pg", "ratio"), ">= 0.70x",
        lambda v: v >= 0.70, "x")
    idle = get("memory", "idle_rss_kib")
    row("idle RSS", idle / 1024 if idle else None, "<= 64 MiB", lambda v: v <= 64, " MiB")
    busy = get("memory", "inflight_rss_kib")
    inflight = int(get("memory", "inflight") or 0)
    row(f"RSS with {inflight} connections in flight", busy / 1024 if busy else None, "<= 256 MiB",
        lambda v: v <= 256, " MiB")

    width = max(len(r[0]) for r in rows)
    print()
    print("Issue 18 budgets (ratios and differences from this run):")
    print(f"  {'figure':<{width}}  {'measured':>14}  {'budget':<10}  result")
    for figure, value, budget, verdict in rows:
        print(f"  {figure:<{width}}  {value:>14}  {budget:<10}  {verdict}")
    verdicts = [r[3] for r in rows]
    print(f"summary: {verdicts.count('PASS')} PASS, {verdicts.count('FAIL')} FAIL, {verdicts.count('SKIP')} not measured "
          f"(of {len(rows)} budgets)")
    reference = [(f"at the gateway's half-load rate ({get('open-nginx-signing', 'rps') or 0:.0f} req/s)",
                  added("open-nginx-signing", "open-sim-signing", "p99"), get("open-nginx-signing", "idle")),
                 (f"at half of nginx's own closed loop ({get('open-nginx-signing-half', 'rps') or 0:.0f} req/s)",
                  added("open-nginx-signing-half", "open-sim-signing-nginx-half", "p99"),
                  get("open-nginx-signing-half", "idle"))]
    if all(v is not None for _, v, _ in reference):
        print("reference, not a budget: the read p99 budget held to nginx (p99 added over the simulator directly, "
              "machine idle during the run)")
        for label, value, idle in reference:
            print(f"  nginx {label}: {value:.2f} ms, idle {idle or 0:.0f} %")
        print(f"  the gateway at its half load: {added('open-gateway-signees', 'open-sim-signing', 'p99'):.2f} ms, "
              f"idle {get('open-gateway-signees', 'idle') or 0:.0f} %")
    errors = {n: r.get("non2xx", 0) + r.get("socket_errors", 0) for n, r in d.items() if isinstance(r, dict)
              and (r.get("non2xx") or r.get("socket_errors")) and n != "flood"}
    if errors:
        print("warning: runs with non-2xx answers or socket errors (their figures are suspect): "
              + ", ".join(f"{n} {c}" for n, c in errors.items()))


def main():
    command = sys.argv[1]
    if command == "wrk":
        name, path = sys.argv[2], sys.argv[3]
        record = parse_wrk(open(path).read())
        store(name, record)
        print(line(name, record))
    elif command == "chain":
        chain(sys.argv[2], sys.argv[3:])
    elif command == "set":
        store(sys.argv[2], {k: (float(v) if re.fullmatch(r"-?[\d.]+", v) else v)
                            for k, v in (a.split("=", 1) for a in sys.argv[3:])})
    elif command == "get":
        value = load().get(sys.argv[2], {}).get(sys.argv[3])
        print(value if value is not None else "")
    elif command == "summary":
        summary()


if __name__ == "__main__":
    main()
