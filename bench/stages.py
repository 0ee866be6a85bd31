#!/usr/bin/env python3
"""Instructions per request by component and by stage, from the callgrind dumps of bench/profile.sh.

  stages.py OUT N

OUT holds callgrind.out.PID.1 (N sequential reads), .2 (N sequential signs), .3 (idle, as long as the reads took):
each dump was taken after the previous one, so each counts only its own requests. Per request = (dump - idle share)
/ N. Two views:
  components  self instructions (no callees) grouped by the library or Swift module that executes them;
  stages      inclusive instructions of the functions that are a stage: the synchronous work on the SQLite
              thread (each store job's closure, the group's COMMIT), the curl thread's loop turns, JSON coding,
              the HTTP/1 parser, the auth middleware. Async functions are split by the compiler at each await
              (their pieces run from the executor, not from their caller), so a stage's inclusive figure covers
              what runs synchronously in it; the components view accounts for everything.
"""
import collections
import glob
import os
import re
import subprocess
import sys

out, n = sys.argv[1], int(sys.argv[2])
parts = sorted(glob.glob(os.path.join(out, "callgrind.out.*.[0-9]*")), key=lambda p: int(p.rsplit(".", 1)[1]))
if len(parts) < 3:
    print(f"callgrind: expected 3 dumps in {out}, found {parts}")
    sys.exit(0)
names = ["read", "sign", "idle"]
LINE = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$")


def annotate(path, inclusive):
    text = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100",
                           path], capture_output=True, text=True).stdout
    text = subprocess.run(["swift", "demangle"], input=text, capture_output=True, text=True).stdout
    rows, total = [], None
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        ir, rest = int(m.group(1).replace(",", "")), m.group(2)
        if rest.strip() == "PROGRAM TOTALS":
            total = ir
            continue
        obj = ""
        om = re.search(r" \[([^\[\]]*)\]$", rest)
        if om:
            obj, rest = om.group(1), rest[:om.start()]
        file, _, function = rest.partition(":")
        rows.append((ir, file, function, obj))
    return total or 0, rows


MODULES = r"(Storage|CurlHTTP|GatewayHTTP|Gateway|AltinnAPI|Transport|Tokens|Webhooks|App|signing_gateway|" \
          r"Hummingbird\w*|NIO\w*|_NIO\w*|FoundationEssentials|FoundationInternationalization|Foundation|Swift|" \
          r"_Concurrency|Logging|Metrics|CoreMetrics|Tracing|Instrumentation|ServiceLifecycle|HTTPTypes|Crypto|" \
          r"_CryptoExtras|PostgresNIO|AsyncAlgorithms|DequeModule|Collections|Atomics|Synchronization|Prometheus)\."


def component(file, function, obj):
    f = function
    base = os.path.basename(obj)
    if "libsqlite3" in base or re.match(r"sqlite3", f):
        return "SQLite library (libsqlite3)"
    if "libcurl" in base or re.match(r"(curl_|Curl_)", f):
        return "libcurl"
    if re.search(r"llhttp", f):
        return "HTTP/1 parser (llhttp)"
    if re.search(r"libssl|libcrypto|libnghttp|libz\.|libbrotli|libpsl|libidn|libssh|libgnutls|libnettle|libhogweed",
                 base):
        return "other C libraries of libcurl (TLS, compression)"
    if re.match(r"(swift_retain|swift_release|swift_bridgeObjectRe|swift_unknownObjectRe|swift_nonatomic|"
                r"swift_tryRetain|_swift_release_dealloc|swift_deallocClassInstance|swift_deallocObject|"
                r"swift_isUniquelyReferenced|swift_beginAccess|swift_endAccess)", f):
        return "Swift runtime: reference counting, exclusivity"
    if "libswift_Concurrency" in base or re.match(r"(swift_task|swift_job|swift_continuation|swift_asyncLet|"
                                                    r"swift::|\(anonymous namespace\)::)", f):
        return "Swift concurrency runtime (tasks, executors, continuations)"
    if "libdispatch" in base:
        return "libdispatch (the cooperative pool's threads)"
    if re.match(r"(malloc|free|_int_malloc|_int_free|realloc|calloc|_int_realloc|malloc_consolidate|"
                r"unlink_chunk|tcache|cfree|__libc_malloc|__libc_free|__libc_calloc|__libc_realloc|"
                r"swift_slowAlloc|swift_slowDealloc|swift_allocObject|swift_allocBox|swift_deallocBox)", f):
        return "allocation (malloc/free, swift_allocObject)"
    if "libc.so" in base or "ld-linux" in base or "libm.so" in base or "libpthread" in base:
        return "libc (memcpy, string, locks, system call stubs)"
    if "libstdc++" in base or "libgcc" in base:
        return "C++ runtime"
    if "libFoundation" in base or re.search(r"Foundation\w*\.", f):
        if re.search(r"JSON", f):
            return "Foundation JSON (JSONDecoder/JSONEncoder/JSONSerialization)"
        return "Foundation (other: Date, Data, String bridging, URL…)"
    if re.search(r"JSON", f) and not re.search(r"(Storage|CurlHTTP)\.", f):
        module = re.search(MODULES, f)
        if module and module.group(1) not in ("Swift",):
            return f"{module.group(1)} JSON (project/library JSON coding)"
    m = re.search(MODULES, f)
    if m:
        module = m.group(1)
        if module.startswith("NIO") or module.startswith("_NIO"):
            return "SwiftNIO (event loop, channel pipeline, HTTP/1 codec)"
        if module.startswith("Hummingbird"):
            return "Hummingbird (router, request/response)"
        if module in ("Swift",):
            return "Swift standard library (collections, strings, hashing)"
        if module in ("Logging", "Metrics", "CoreMetrics", "Tracing", "Instrumentation", "Prometheus"):
            return "logging, metrics, tracing"
        return f"module {module}"
    if "libswiftCore" in base:
        return "Swift standard library (collections, strings, hashing)"
    if "signing-gateway" in base:
        return "signing-gateway binary, unattributed"
    return f"other ({base or file or '?'})"


STAGES = [
    ("inbound parse: HTTP/1 decoding (llhttp + NIO decoder)", r"(ByteToMessageHandler.*decodeLoop|HTTPDecoder.*decode\(|c_nio_llhttp_execute)"),
    ("auth: ClientAuthMiddleware (synchronous parts)", r"ClientAuthMiddleware"),
    ("idempotency begin: SQLite job (closure in SQLiteStore.beginIdempotent)", r"closure.* in Storage\.SQLiteStore\.beginIdempotent"),
    ("token: token provider", r"^(?!.*closure).*Tokens\.(StaticTokenProvider|ProfileTokenProvider|TokenCache)"),
    ("curl: submit + wake-up (TransferInbox.submit, curl_multi_wakeup)", r"(CurlHTTP\.TransferInbox\.submit|^curl_multi_wakeup)"),
    ("curl: one loop turn on the curl thread (MultiLoop.run body: perform, collect, resume)", r"(^curl_multi_perform$|CurlHTTP\.MultiLoop\.(collectFinished|start\(|finish\())"),
    ("curl: curl_multi_poll (wait + wake-up handling)", r"^curl_multi_poll$"),
    ("decode: JSONDecoder.decode (upstream answers, request bodies)", r"JSONDecoder\.decode"),
    ("encode: JSONEncoder.encode / JSONSerialization", r"(JSONEncoder\.encode|JSONSerialization\.data)"),
    ("commit: SQLite jobs of completion and audit (complete/release/append closures)", r"closure.* in Storage\.SQLiteStore\.(completeIdempotent|releaseIdempotent|appendAudit)"),
    ("commit: group COMMIT (SQLiteConnection.commitGroup)", r"Storage\.SQLiteConnection\.commitGroup"),
    ("SQLite thread total (SQLiteThread.runGroup)", r"Storage\.SQLiteThread\.runGroup"),
    ("response: NIO write/flush of the answer (HTTPResponseEncoder, writev)", r"(HTTPResponseEncoder|HTTPServerResponseEncoder|NIOCore\.Channel.*writeAndFlush|flushNow)"),
]

totals, self_rows, incl_rows = {}, {}, {}
for name, path in zip(names, parts):
    totals[name], self_rows[name] = annotate(path, inclusive=False)
    _, incl_rows[name] = annotate(path, inclusive=True)
drive = {}
for name in ("read", "sign"):
    try:
        text = open(os.path.join(out, f"callgrind-{name}.drive")).read()
        drive[name] = float(re.search(r"seconds=([\d.]+)", text).group(1))
    except (OSError, AttributeError):
        drive[name] = 0
idle_per_s = totals["idle"] / drive["read"] if drive.get("read") else 0
print(f"callgrind totals: read dump {totals['read']:,} Ir, sign dump {totals['sign']:,} Ir, idle dump "
      f"{totals['idle']:,} Ir ({idle_per_s:,.0f} Ir/s idle, subtracted per run length)")
for name in ("read", "sign"):
    idle_share = idle_per_s * drive[name]
    per = (totals[name] - idle_share) / n
    print(f"  {name}: {per:,.0f} instructions per request (N={n}, run {drive[name]:.1f} s under valgrind)")

print("\nself instructions per request by component (read | sign):")
comp = {}
for name in ("read", "sign"):
    c = collections.Counter()
    for ir, file, function, obj in self_rows[name]:
        c[component(file, function, obj)] += ir
    comp[name] = c
keys = sorted(set(comp["read"]) | set(comp["sign"]), key=lambda k: -(comp["sign"][k] + comp["read"][k]))
for k in keys:
    r, s = comp["read"][k] / n, comp["sign"][k] / n
    if r + s < 1000:
        continue
    print(f"  {k:<64} {r:>10,.0f} ({100 * r * n / max(totals['read'], 1):4.1f}%) | {s:>10,.0f} "
          f"({100 * s * n / max(totals['sign'], 1):4.1f}%)")

print("\nstages, inclusive instructions per request of their functions (read | sign):")
for label, pattern in STAGES:
    values = []
    for name in ("read", "sign"):
        rx = re.compile(pattern)
        # The outermost matches only: a function whose caller also matches is counted by the caller's inclusive
        # figure, which callgrind_annotate cannot tell apart here, so take the largest single match per pattern
        # family plus the other matches that are not the same function at another call depth.
        matched = [(ir, function) for ir, file, function, obj in incl_rows[name] if rx.search(function)]
        values.append((sum(ir for ir, _ in matched) if len(matched) <= 1 else max(ir for ir, _ in matched), matched))
    r, s = values[0][0] / n, values[1][0] / n
    print(f"  {label:<84} {r:>10,.0f} | {s:>10,.0f}")

print("\ntop 25 functions by inclusive instructions per request (sign):")
for ir, file, function, obj in sorted(incl_rows["sign"], key=lambda r: -r[0])[:25]:
    print(f"  {ir / n:>12,.0f}  {function[:150]}")
print("\ntop 25 functions by self instructions per request (sign):")
for ir, file, function, obj in sorted(self_rows["sign"], key=lambda r: -r[0])[:25]:
    print(f"  {ir / n:>12,.0f}  {function[:120]}  [{os.path.basename(obj)}]")
