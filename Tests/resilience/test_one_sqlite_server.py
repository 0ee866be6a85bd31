"""One serving process per SQLite file: idempotency and the per-instance write order hold inside one process only,
so a second `serve` on the same file (a second unit, a pod on a shared volume) must be refused at start, and the
first must go on serving. After the first is killed (SIGKILL), a new one takes the file over: the kernel dropped
the lock with the process.
"""
from support import check, free_port, http, wait_for
from support.processes import Gateway


def test_a_second_server_on_one_sqlite_file_is_refused(gateway, work):
    first = gateway(name="first")
    key = first.client_key()
    second = Gateway(work, "second", {**first.config, "port": free_port()})
    second.start(wait=False)
    code = wait_for(lambda: second.process.poll() is not None and [second.process.returncode], deadline=30,
                    what="the second server to exit")
    check("second serve on the same SQLite file exits non-zero", bool(code) and code[0] != 0, str(code))
    check("it says another process serves the file", "another gateway process serves" in second.log_text(),
          second.log_text()[-400:])
    status, _, text = http("GET", first.url + "/v1/subscriptions", headers={"Authorization": f"Bearer {key}"})
    check("the first goes on serving", status == 200, f"{status} {text[:200]}")

    first.kill()
    third = Gateway(work, "third", {**first.config, "port": free_port()})
    try:
        third.start()
        status, _, text = http("GET", third.url + "/v1/subscriptions", headers={"Authorization": f"Bearer {key}"})
        check("after SIGKILL of the first, a new server takes the file over", status == 200, f"{status} {text[:200]}")
    finally:
        third.stop()
        second.stop()
