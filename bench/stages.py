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


def parse(path):
    """Self cost per function, and the cost of each function's calls (a call's line after `calls=` is the callee's
    inclusive cost), straight from the callgrind file (callgrind_annotate 3.19 mis-reports self cost here)."""
    names = {"fn": {}, "ob": {}, "fl": {}}
    base = {"fn": "fn", "cfn": "fn", "ob": "ob", "cob": "ob", "fl": "fl", "fi": "fl", "fe": "fl", "cfi": "fl",
            "cfl": "fl"}
    self_cost, call_cost, objects = collections.Counter(), collections.Counter(), {}
    edges = collections.Counter()  # (caller, callee) -> inclusive cost of those calls
    fn = ob = None
    callee = None
    in_call = False
    total = 0
    spec = re.compile(r"^(fn|ob|fl|fi|fe|cfn|cob|cfi|cfl)=\((\d+)\)(?: (.*))?$")
    for line in open(path, errors="replace"):
        if not line.strip():
            continue
        c0 = line[0]
        if c0.isdigit() or c0 in "+-*":
            parts = line.split()
            value = int(parts[1]) if len(parts) > 1 else 0
            if in_call:
                call_cost[fn] += value
                edges[(fn, callee)] += value
                in_call = False
            else:
                self_cost[fn] += value
                total += value
            continue
        m = spec.match(line.rstrip("\n"))
        if m:
            kind, index, name = m.groups()
            if name is not None:
                names[base[kind]][index] = name
            if kind == "fn":
                fn = names["fn"].get(index)
                objects.setdefault(fn, ob)
            elif kind == "cfn":
                callee = names["fn"].get(index)
            elif kind == "ob":
                ob = names["ob"].get(index)
            continue
        if line.startswith("calls="):
            in_call = True
    return total, self_cost, call_cost, objects, edges


def demangle(symbols):
    text = subprocess.run(["swift", "demangle"], input="\n".join(symbols), capture_output=True, text=True).stdout
    lines = text.split("\n")
    return dict(zip(symbols, lines)) if len(lines) >= len(symbols) else {s: s for s in symbols}


def annotate(path):
    total, self_cost, call_cost, objects, edges = parse(path)
    symbols = sorted(k for k in set(self_cost) | set(call_cost) | {c for _, c in edges} if k)
    readable = demangle(symbols)
    self_rows = [(v, "", readable.get(k, k), objects.get(k) or "") for k, v in self_cost.items() if k]
    incl_rows = [(self_cost[k] + call_cost[k], "", readable.get(k, k), objects.get(k) or "") for k in symbols]
    edge_rows = [(v, readable.get(a, a or "?"), readable.get(b, b or "?")) for (a, b), v in edges.items()]
    return total, self_rows, incl_rows, edge_rows


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
    if re.match(r"__mem(set|cpy|move)", f):
        return "memset/memcpy/memmove (buffer zeroing, copies)"
    if re.search(r"CCryptoBoringSSL_sha256|sha256_block", f):
        return "SHA-256 (BoringSSL, in swift-crypto)"
    if re.search(r"swift_conformsToProtocol|_swift_getGenericMetadata|getCache\(|MetadataCacheKey|GenericCacheEntry|"
                 r"ConcurrentReadableHashMap|LockingConcurrentMap|instantiateConcreteTypeFromMangledName|"
                 r"swift_getTypeByMangledName|swift_dynamicCast|swift_getWitnessTable|swift_checkMetadataState|"
                 r"swift_getAssociatedType|swift_getAssociatedConformance|swift_getSingletonMetadata", f):
        return "Swift runtime: generic metadata, conformance lookups, casts"
    if re.search(r"RefCounts|doDecrementSlow|swift_deallocObject|swift_deallocClassInstance", f):
        return "Swift runtime: reference counting, exclusivity"
    if re.search(r"Swift\.Hasher|_hashValue|hashValue|hash\(into", f):
        return "hashing (Hasher: dictionaries, sets)"
    if re.search(r"Swift\.(String|Substring|Character|_StringGuts|_StringObject|_allASCII|_stringCompare|"
                 r"_StringGutsSlice|Unicode)|joined\(separator|String\.Index|_uncheckedFromUTF8", f):
        return "Swift strings (building, UTF-8 validation, comparison)"
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


# Synchronous functions only: an async function's inclusive figure in callgrind also holds whatever its caller does
# after it returns (an async return is a tail call into the caller's continuation), so it means nothing here.
THREADS = [
    ("event loop threads (SwiftNIO: parse, write, Hummingbird's channel handlers)", r"^NIOPosix\.SelectableEventLoop\.run\(\)"),
    ("cooperative pool threads (the request's tasks: routing, middleware, use case, JSON)", r"^_dispatch_worker_thread$"),
    ("curl thread (MultiLoop.run)", r"^CurlHTTP\.MultiLoop\.run\(\)"),
    ("SQLite thread (SQLiteThread.runGroup: every store job and COMMIT)", r"SQLiteThread\.\(runGroup in"),
]
STAGES = [
    ("inbound parse: NIOHTTP1.HTTPDecoder.decode", r"^NIOHTTP1\.HTTPDecoder\.decode\(context"),
    ("inbound body: JSONBody.decode (sign request body)", r"of static GatewayHTTP\.JSONBody\.decode<"),
    ("auth: ClientRegistry.client(apiKey:) (hash + lookup)", r"^GatewayHTTP\.ClientRegistry\.client\(apiKey"),
    ("idempotency: RequestFingerprint.sign", r"Gateway\.RequestFingerprint\.sign\("),
    ("idempotency begin: SQLite job (SQLiteStore.beginIdempotent closure)", r"^closure #1 .* in Storage\.SQLiteStore\.beginIdempotent"),
    ("curl: Transfer.configure (easy handle options, header list)", r"^CurlHTTP\.Transfer\.configure\("),
    ("curl: curl_multi_perform (send, receive, libcurl's parsing, our callbacks)", r"^curl_multi_perform$"),
    ("curl: ResponseHeadParser.consume (answer's header lines)", r"^CurlHTTP\.ResponseHeadParser\.consume\("),
    ("curl: MultiLoop.collectFinished (finish, resume the awaiting task)", r"CurlHTTP\.MultiLoop\.\(collectFinished in"),
    ("curl: curl_multi_poll (wait, wake-up)", r"^curl_multi_poll$"),
    ("decode: JSONDecoder.decode, all (upstream answers + request body)", r"^FoundationEssentials\.JSONDecoder\.decode<"),
    ("outbox: InstanceObserver.afterSign's update (snapshot, events)", r"^closure #1 .* in Gateway\.InstanceObserver\.afterSign\("),
    ("audit: AuditTrail.entry (the record, digests)", r"static Gateway\.AuditTrail\.entry\("),
    ("audit: AuditChain.hash (hash chain, on the SQLite thread)", r"static Storage\.AuditChain\.hash\("),
    ("commit: SQLite job of the answer (completeIdempotent / appendAudit closure)", r"^closure #1 .* in Storage\.SQLiteStore\.(completeIdempotent|appendAudit|releaseIdempotent)\("),
    ("response: JSONValue.serialized (the answer's body)", r"^Gateway\.JSONValue\.serialized\.getter"),
    ("response: NIOHTTP1.HTTPResponseEncoder.write", r"^NIOHTTP1\.HTTPResponseEncoder\.write\("),
]
WRAPPER = re.compile(r"^(partial apply|merged partial apply|reabstraction thunk|@objc|protocol witness|dispatch thunk)")

totals, self_rows, incl_rows, edge_rows = {}, {}, {}, {}
for name, path in zip(names, parts):
    totals[name], self_rows[name], incl_rows[name], edge_rows[name] = annotate(path)
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



def stage_value(name, pattern):
    rx = re.compile(pattern)
    matched = {}
    for ir, file, function, obj in incl_rows[name]:
        if rx.search(function) and not WRAPPER.match(function):
            matched[function] = max(matched.get(function, 0), ir)
    return sum(matched.values())


for title, rows in (("by thread", THREADS), ("by stage (synchronous functions, inclusive)", STAGES)):
    print(f"\n{title}: instructions per request (read | sign)")
    for label, pattern in rows:
        r, s_ = stage_value("read", pattern) / n, stage_value("sign", pattern) / n
        print(f"  {label:<84} {r:>10,.0f} | {s_:>10,.0f}")

print("\ntop 30 functions by self instructions per request (sign):")
for ir, file, function, obj in sorted(self_rows["sign"], key=lambda r: -r[0])[:30]:
    print(f"  {ir / n:>12,.0f}  {function[:120]}  [{os.path.basename(obj)}]")

print("\nwho calls the copies, hashes and metadata lookups (sign, inclusive instructions per request of the calls):")
for leaf in (r"^__memset", r"^__memcpy|^__memmove", r"CCryptoBoringSSL_sha256_block|SHA256|sha256",
             r"Swift\.String\.hash\(into", r"swift_getCanonicalPrespecializedGenericMetadata|swift_getGenericMetadata$",
             r"swift::_conformsToProtocol\("):
    rx = re.compile(leaf)
    callers = collections.Counter()
    for v, a, b in edge_rows["sign"]:
        if rx.search(b) and not rx.search(a):
            callers[a] += v
    if not callers:
        continue
    print(f"  {leaf}:")
    for a, v in callers.most_common(6):
        print(f"    {v / n:>10,.0f}  {a[:160]}")
