"""log.fcgi: /log/echo, /metrics, /healthz, and the request log table."""
import base64
import json
import os
import re
import subprocess

from conftest import sqlite_only


def test_echo_reports_the_request(nb):
    nb.start()
    r = nb.request("GET", "/log/echo/dev/42?a=1&b=x%20y&a=2",
                   {"User-Agent": "mip/1.0", "X-Device": "board-7"})
    assert r.status == 200 and r.header("content-type") == "application/json"
    assert int(r.header("content-length")) == len(r.body)
    j = json.loads(r.body)
    assert j["method"] == "GET"
    assert j["remote_addr"] == "127.0.0.1" and j["remote_port"] > 0
    assert j["path"] == "/log/echo/dev/42"
    assert j["segments"] == ["log", "echo", "dev", "42"]
    assert j["query_string"] == "a=1&b=x%20y&a=2"
    assert j["query"] == {"a": ["1", "2"], "b": "x y"}
    assert j["headers"]["User-Agent"] == "mip/1.0"
    assert j["headers"]["X-Device"] == "board-7"


def test_echo_shows_bodies(nb):
    nb.start()
    r = nb.request("POST", "/log/echo", {"Content-Type": "application/json"},
                   b'{"id": "dev\xc3\xa9"}')
    j = json.loads(r.body)
    assert j["body"] == '{"id": "dev\u00e9"}' and j["body_length"] == 15
    assert j["headers"]["Content-Type"] == "application/json"
    binary = bytes(range(256))
    j = json.loads(nb.request("PUT", "/log/echo", {}, binary).body)
    assert base64.b64decode(j["body_base64"]) == binary


def test_echo_refuses_oversized_body(make_nb):
    nb = make_nb({"NESTBOX_SERVER__MAX_BODY": "1000"})
    nb.start()
    r = nb.request("POST", "/log/echo", {}, b"x" * 1001)
    assert r.status == 413
    assert json.loads(r.body)["error"] == "request body too large"
    assert nb.request("POST", "/log/echo", {}, b"x" * 1000).status == 200


def test_echo_escapes_hostile_headers(nb):
    nb.start()
    j = json.loads(nb.get("/log/echo", {"X-Evil": '"},{"x":"<script>'}).body)
    assert j["headers"]["X-Evil"] == '"},{"x":"<script>'


def test_metrics_count_every_program(nb, tmpdir_shared):
    """Counted from the front end's access log: rows reach the store
    within log.flush_ms, so the test waits for the last request's."""
    from conftest import wait_until
    nb.start()
    # a conditional /list is list.fcgi's; the plain one, once the watcher
    # has written the static tree's list, the front end's
    nb.get("/list", {"If-Modified-Since": "Mon, 30 Nov 2099 00:00:00 GMT"})
    wait_until(lambda: os.path.exists(os.path.join(nb.state, "mkbox-static", "live", "list")),
               "the static /list")
    nb.get("/list")
    nb.get("/update/none/none")
    nb.get("/nothing/here")
    wait_until(lambda: 'program="front",route="-",status="404"} 1' in
               nb.get("/metrics").body.decode(), "the 404 counted", limit=15)
    text = nb.get("/metrics").body.decode()
    assert re.search(r'^nestbox_requests_total\{program="list",route="/list",status="200"\} 1$',
                     text, re.M)
    assert re.search(r'^nestbox_requests_total\{program="static",route="/list",status="200"\} 1$',
                     text, re.M)
    assert 'nestbox_requests_total{program="update",route="/update/:box/:image",status="400"} 1' \
        in text
    assert '# TYPE nestbox_request_duration_seconds histogram' in text
    assert re.search(r'^nestbox_request_duration_seconds_bucket\{program="list",route="/list",'
                     r'le="\+Inf"\} 1$', text, re.M)
    assert re.search(r'^nestbox_request_duration_seconds_count\{program="list",route="/list"\} 1$',
                     text, re.M)
    # buckets are cumulative: never decreasing
    counts = [int(m) for m in re.findall(
        r'^nestbox_request_duration_seconds_bucket\{program="list",route="/list",le="[^"]+"\} (\d+)$',
        text, re.M)]
    assert counts == sorted(counts) and len(counts) == 10


def rows_when_logged(nb, sql, args=()):
    """The rows of sql once there are any: the front end's access log
    reaches the store within log.flush_ms of the answer, not before it."""
    from conftest import wait_until
    found = []

    def some():
        with nb.db() as c:
            found[:] = c.execute(sql, args).fetchall()
        return found
    wait_until(some, "rows for " + sql, limit=15)
    return found


def test_request_log_rows(nb):
    nb.start()
    nb.get("/list/abc", {"User-Agent": "box-script"})
    rows = rows_when_logged(nb, "SELECT program, method, path, route, status, user_agent, remote "
                                "FROM request_log WHERE program='list'")
    assert rows == [("list", "GET", "/list/abc", "/list/:search", 200, "box-script", "127.0.0.1")]


def test_unknown_methods_are_logged(nb):
    """A request with a method no one registered is a request like
    another: lighttpd answers it 501 and it has its row.  lighttpd keeps no
    method it does not know (its line says "  HTTP/1.1"): the row's method
    and path are "-", and the access-log writer goes on with the next line
    (test_apache.py has a front end that logs the method as sent)."""
    nb.start()
    for method in (b"FOO", b"X" * 200, b"G\x01T\xff"):
        answer = nb.raw(method + b" /list/abc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 501 "), answer[:80]
    nb.get("/list/after")
    rows_when_logged(nb, "SELECT 1 FROM request_log WHERE path='/list/after'")
    with nb.db() as c:
        rows = c.execute("SELECT program, method, path, status FROM request_log "
                         "WHERE status = 501").fetchall()
    assert rows == [("front", "-", "-", 501)] * 3


def test_request_log_is_bounded(make_nb):
    nb = make_nb({"NESTBOX_LOG__MAX_ROWS": "5"})
    nb.start()
    for i in range(20):
        nb.get("/list/%d" % i)
    rows_when_logged(nb, "SELECT 1 FROM request_log WHERE path='/list/19'")
    with nb.db() as c:
        rows = c.execute("SELECT path FROM request_log WHERE program='list' ORDER BY id").fetchall()
        total = c.execute("SELECT count(*) FROM request_log").fetchone()[0]
    assert total <= 5
    assert rows[-1] == ("/list/19",)


def test_healthz(nb):
    nb.start()
    r = nb.get("/healthz")
    assert r.status == 200
    j = json.loads(r.body)
    assert j["status"] == "ok"
    assert {k: v for k, v in j["checks"].items() if k != "mip_compiler"} == {
        "database": "ok", "blobs": "ok", "mkbox_images": "ok"}
    assert j["checks"]["mip_compiler"].startswith("missing")   # no mpy-cross in Debian
    os.rename(nb.images, nb.images + ".gone")
    r = nb.get("/healthz")
    assert r.status == 503
    assert json.loads(r.body)["checks"]["mkbox_images"] == "missing or unreadable"



def _counting_compiler(path, version):
    """An mpy-cross that answers --version and writes who ran it (its parent
    program) to a file beside itself; written to a new file and renamed, as
    a package upgrade replaces it."""
    with open(path + ".new", "w") as f:
        f.write("#!/bin/sh\necho run $PPID $(readlink /proc/$PPID/exe) >> \"$(dirname \"$0\")/runs\"\n"
                "echo 'MicroPython %s; mpy-cross emitting mpy v6.3'\n" % version)
    os.chmod(path + ".new", 0o755)
    os.rename(path + ".new", path)


def _runs_by_log(runs):
    """log.fcgi's runs of the compiler (admin.fcgi and mip-index.fcgi probe
    it once at their start, which may come after it was written)."""
    with open(runs) as f:
        return sum(1 for line in f if line.rstrip().endswith("/log.fcgi"))


def test_healthz_probes_the_compiler_once_per_file(make_nb, tmpdir_shared):
    """/healthz does not run mpy-cross per request (a process spawn each
    time made it the slowest route): the answer is kept while the compiler's
    file is the same, and a compiler installed or replaced later is seen."""
    tools = os.path.join(tmpdir_shared, "tools")
    os.makedirs(tools)
    cc, runs = os.path.join(tools, "mpy-cross"), os.path.join(tools, "runs")
    nb = make_nb({"NESTBOX_MIP__MPY_CROSS": cc})
    nb.start()
    j = json.loads(nb.get("/healthz").body)
    assert j["status"] == "ok" and j["checks"]["mip_compiler"].startswith("missing")
    _counting_compiler(cc, "v1.24.1")
    for _ in range(12):
        r = nb.get("/healthz")
        assert r.status == 200
        assert "MicroPython v1.24.1" in json.loads(r.body)["checks"]["mip_compiler"]
    n = _runs_by_log(runs)
    assert 1 <= n <= 2        # once in each log.fcgi process (max-procs 2)
    _counting_compiler(cc, "v1.25.0")
    for _ in range(6):
        assert "MicroPython v1.25.0" in json.loads(nb.get("/healthz").body)["checks"]["mip_compiler"]
    assert _runs_by_log(runs) <= n + 2
    os.unlink(cc)
    assert json.loads(nb.get("/healthz").body)["checks"]["mip_compiler"].startswith("missing")


def test_api_errors_are_json(nb):
    nb.start()
    r = nb.get("/log/%zz")
    assert r.status == 400 and json.loads(r.body)["error"] == "bad percent-escape in path"
    r = nb.request("DELETE", "/metrics")
    assert r.status == 405 and json.loads(r.body)["status"] == 405
    assert nb.get("/log/other").status == 404


def test_idle_process_writes_its_rows(make_nb):
    """A request that lands in a process which then gets no traffic is in
    the log within about a second (issue 11 §7): the row is not left in
    the process's buffer until its next request."""
    from conftest import wait_until
    nb = make_nb({"NESTBOX_LOG__FLUSH_EVERY": "64"})
    nb.start()
    for path in ("/list", "/log/echo", "/mip/index.json", "/admin/login", "/update/x/y"):
        nb.get(path)

    def logged():
        with nb.db() as c:
            return {r[0] for r in c.execute("SELECT path FROM request_log")}
    for path in ("/list", "/log/echo", "/mip/index.json", "/admin/login", "/update/x/y"):
        wait_until(lambda: path in logged(), "a row for " + path, limit=15)


def test_ddi_last_seen_and_bad_token_without_traffic(make_nb):
    """A device's poll shows in last_seen, and a poll with a wrong token
    leaves a request-log row (a hot route's error), with no further
    traffic to that program."""
    from conftest import wait_until
    nb = make_nb({"NESTBOX_LOG__FLUSH_EVERY": "64"})
    nb.ctl("init")
    nb.ctl("device", "add", "seen1", "--token", "tok-seen")
    nb.start()
    base = "/DEFAULT/controller/v1/seen1"
    assert nb.get(base, {"Authorization": "TargetToken tok-seen"}).status == 200
    assert nb.get(base, {"Authorization": "TargetToken wrong"}).status == 401

    def seen():
        with nb.db() as c:
            return c.execute("SELECT last_seen FROM ddi_devices WHERE controller_id='seen1'"
                             ).fetchone()[0] > 0
    wait_until(seen, "last_seen of seen1", limit=15)

    def refused():
        with nb.db() as c:
            return c.execute("SELECT count(*) FROM request_log WHERE path=? AND status=401",
                             (base,)).fetchone()[0] == 1
    wait_until(refused, "a request-log row for the refused poll", limit=15)
    with nb.db() as c:
        # the accepted poll stays out of the log (log.hot_rows is off)
        assert c.execute("SELECT count(*) FROM request_log WHERE path=? AND status=200",
                         (base,)).fetchone()[0] == 0


@sqlite_only("another writer holds SQLite's write lock (BEGIN IMMEDIATE) on the file")
def test_no_row_lost_while_the_store_is_held(make_nb):
    """Another writer holds the store (BEGIN IMMEDIATE) for longer than
    db.busy_timeout_ms while far more log lines than a pipe holds arrive:
    every request still gets its row once the store is free.  Before, the
    logger blocked in its flush, the pipe filled, lighttpd dropped lines
    ("error flushing log") and a full buffer that could not be written was
    thrown away."""
    import sqlite3
    from conftest import burst, wait_until
    nb = make_nb({"NESTBOX_DB__BUSY_TIMEOUT_MS": "100", "NESTBOX_LOG__FLUSH_EVERY": "64"})
    nb.start()
    # the logger is up and has its store (it opens it once, at start)
    assert nb.get("/list/ready").status == 200

    def ready():
        with nb.db() as c:
            return c.execute("SELECT count(*) FROM request_log WHERE path = '/list/ready'"
                             ).fetchone()[0] == 1
    wait_until(ready, "the logger's first row")
    n_threads, per_thread = 4, 600
    ua = {"User-Agent": "burst " + "u" * 400}  # ~500-byte lines: 2,400 of them >> a 64 KiB pipe
    holder = sqlite3.connect(os.path.join(nb.state, "nestbox.db"), timeout=30,
                             isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    statuses = burst(nb.port, "/list/burst-%d-%d", n_threads, per_thread, ua)
    holder.execute("COMMIT")
    holder.close()
    assert statuses == [200] * (n_threads * per_thread)
    want = n_threads * per_thread

    def logged():
        with nb.db() as c:
            return c.execute("SELECT count(*) FROM request_log WHERE path LIKE '/list/burst-%'"
                             ).fetchone()[0]
    wait_until(lambda: logged() >= want, "%d rows in the request log (%s)" % (
        want, "see " + nb.log), limit=60)
    assert logged() == want
    assert "error flushing log" not in nb.read_log()


def test_accesslog_says_rows_it_could_not_write_and_exits_1(make_nb):
    """nestbox-accesslog whose store cannot take the request log: each
    failed flush is said on stderr (the rows wait for the next), and the
    last one, whose rows are lost, is its error: said, naming how many rows
    and what failed, and exit status 1, never a quiet 0."""
    from conftest import CGIBIN
    from test_operators import renamed
    nb = make_nb()
    nb.ctl("init")
    renamed(nb, "metrics_requests", "metrics_away")
    line = ('"5" "list" "/list" "GET /list HTTP/1.1" %d 3 10 "h" "-"\n')
    p = subprocess.run([os.path.join(CGIBIN, "nestbox-accesslog")], env=nb.env,
                       input="".join(line % s for s in (200, 404)), capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "kept for the next flush" in p.stderr, p.stderr
    assert "request log not written (2 rows): request counter not written" in p.stderr, p.stderr
    renamed(nb, "metrics_away", "metrics_requests")
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM request_log").fetchone()[0] == 0


def test_a_backlog_lands_whole_and_in_order(make_nb):
    """A backlog written in full buffers of 256 rows, 64 rows an INSERT,
    then a last flush of 64 + 37 (a whole chunk and a remainder of single
    rows): every line has its row, in the order the lines came, each field
    its own, and the counters and hourly counts count every one."""
    from conftest import CGIBIN
    nb = make_nb({"NESTBOX_LOG__FLUSH_EVERY": "256", "NESTBOX_LOG__FLUSH_MS": "600000"})
    nb.ctl("init")
    n = 256 + 64 + 37
    import time
    # an hour's start, recent (older hourly counts are trimmed): 30 s a line spans 3 hours
    t0 = (int(time.time()) // 3600 - 4) * 3600000
    want, lines = [], []
    for i in range(n):
        program = ("ddi", "list", "pypi")[i % 3]
        row = (t0 + 30000 * i, program, ("GET", "POST", "PUT", "DELETE")[i % 4],
               "/p/%d" % i, "r%d" % (i % 5), (200, 404, 500, 201, 302)[i % 7 % 5],
               7 * i, 13 * i + 1, "10.%d.%d.1" % (i // 250, i % 250), "ua-%d" % i,
               "op%d" % i if i % 2 else "")
        want.append(row)
        lines.append('"%d" "%s" "%s %s" "%s %s HTTP/1.1" %d %d %d "%s" "%s" "%s"\n' % (
            row[0], program, program, row[4], row[2], row[3], row[5], row[6], row[7],
            row[8], row[9], row[10] or "-"))
    p = subprocess.run([os.path.join(CGIBIN, "nestbox-accesslog")], env=nb.env,
                       input="".join(lines), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    with nb.db() as c:
        got = c.execute("SELECT ts_ms, program, method, path, route, status, bytes, dur_us,"
                        " remote, user_agent, \"user\" FROM request_log ORDER BY id").fetchall()
        counted = c.execute("SELECT sum(count) FROM metrics_requests").fetchone()[0]
        hours = c.execute("SELECT hour, sum(count), sum(errors) FROM requests_hourly"
                          " GROUP BY hour ORDER BY hour").fetchall()
    assert len(got) == n
    for i, (g, w) in enumerate(zip(got, want)):
        assert tuple(g) == w, "row %d: %r, want %r" % (i, g, w)
    assert counted == n
    by_hour = {}
    for w in want:
        h = by_hour.setdefault(w[0] // 3600000, [0, 0])
        h[0] += 1
        h[1] += w[5] >= 400
    assert [tuple(h) for h in hours] == [(k, c, e) for k, (c, e) in sorted(by_hour.items())]


@sqlite_only("another writer holds SQLite's write lock (BEGIN IMMEDIATE) on the file")
def test_accesslog_waits_for_a_store_held_at_its_start(make_nb):
    """A store another writer holds while nestbox-accesslog would make it
    (a first start): the logger tries again until it can, and the lines it
    was given get their rows.  It used to exit at once ("cannot lock the
    database"), and the front end, which starts it once, then had no
    request log for its whole run."""
    import sqlite3
    from conftest import CGIBIN
    nb = make_nb({"NESTBOX_DB__BUSY_TIMEOUT_MS": "100"})
    os.makedirs(nb.state, exist_ok=True)
    holder = sqlite3.connect(os.path.join(nb.state, "nestbox.db"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    line = '"5" "list" "/list/held-%d" "GET /list/held-%d HTTP/1.1" 200 3 10 "h" "-"\n'
    p = subprocess.Popen([os.path.join(CGIBIN, "nestbox-accesslog")], env=nb.env,
                         stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdin.write("".join(line % (i, i) for i in range(50)))
    p.stdin.flush()
    # it says it waits (a line on stderr) before the store is given back
    said = p.stderr.readline()
    assert "trying again" in said, said
    holder.execute("COMMIT")
    holder.close()
    p.stdin.close()
    assert p.wait(timeout=60) == 0, p.stderr.read()
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM request_log WHERE path LIKE '/list/held-%'"
                         ).fetchone()[0] == 50


def test_no_line_lost_when_the_front_end_stops(make_nb):
    """A burst of requests, then one more still running when lighttpd is
    stopped as a terminal's Ctrl-C stops it (SIGINT to its whole process
    group, the access-log writer included) and finishes it (a graceful
    stop): every answered request has its row once all have exited.  The
    writer used to stop reading once its pipe had been quiet for 100 ms
    after the signal, and the line of a request that ended later was lost."""
    import signal
    import socket
    import threading
    import time
    from conftest import burst, read_to_close, wait_until
    nb = make_nb({"NESTBOX_LOG__FLUSH_EVERY": "64"})
    nb.start(own_group=True)
    answered = burst(nb.port, "/list/stop-%d-%d")
    # the last request: its body is half sent when the stop comes
    late = socket.create_connection(("127.0.0.1", nb.port), timeout=60)
    late.sendall(b"POST /log/echo/stop-late HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                 b"Connection: close\r\n\r\nab")
    stopping = threading.Thread(target=nb.stop_group, args=(signal.SIGINT,))
    stopping.start()

    def refused():
        try:
            socket.create_connection(("127.0.0.1", nb.port), timeout=5).close()
            return False
        except OSError:
            return True
    wait_until(refused, "lighttpd's graceful stop")
    time.sleep(1)  # a quiet pipe for a while: the rest of the body comes late
    late.sendall(b"cd")
    answer = read_to_close(late)
    late.close()
    assert answer.startswith(b"HTTP/1.1 "), answer[:80]
    answered.append(int(answer.split()[1]))
    stopping.join()
    assert len(answered) == 1001
    with nb.db() as c:
        rows = c.execute("SELECT count(*) FROM request_log WHERE path LIKE '%/stop-%'"
                         ).fetchone()[0]
    assert rows == len(answered), "%d rows for %d answers" % (rows, len(answered))
