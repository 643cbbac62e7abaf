"""The store behind its interface: `nestboxctl store migrate` moves a SQLite
installation to PostgreSQL and nestbox on PostgreSQL carries on where it
was: the device's open action, its token, the operator's password and API
token, the history.  Needs a PostgreSQL cluster of the suite's own
(conftest.PgCluster); skipped with the reason where none can be started."""
import json
import os
import re
import struct
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from admin_client import Browser
from conftest import CTL, Nestbox, PgCluster, pg_available, wait_until
from test_ddi import BASE, ddi, feedback
from test_operators import token_of, whoami
from test_software import make_swu

pytestmark = pytest.mark.skipif(not pg_available(), reason="no PostgreSQL server binaries")

PW = "operator-pass-1"


def sqlite_nb(base):
    """An installation on SQLite whatever NESTBOX_TEST_STORE says: the source."""
    nb = Nestbox(base, {"NESTBOX_DDI__POLL_TIME": "00:00:05"}, store="sqlite")
    nb.ctl("init")
    p = subprocess.run([CTL, "user", "add", "olga"], env=nb.env, input=PW + "\n",
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return nb


def board_a(nb, dev, sw_version="1.0", token="tok-1"):
    """dev says (configData) it is a board-a of revision 2.0 running
    sw_version, what the software added here is for: the PUT's status."""
    return ddi(nb, "PUT", BASE + dev + "/configData", token=token, body={
        "mode": "merge", "data": {"hw_boardname": "board-a", "hw_revision": "2.0",
                                  "sw_version": sw_version}}).status


def test_migrate_to_postgresql_keeps_devices_tokens_and_history(tmpdir_shared):
    base = os.path.join(tmpdir_shared, "src")
    os.makedirs(base)
    nb = sqlite_nb(base)
    swu = make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")
    sid = nb.ctl("software", "add", swu).stdout.strip()
    nb.ctl("device", "add", "dev1", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    nb.start()
    try:
        assert board_a(nb, "dev1") == 200
        j = json.loads(ddi(nb, "GET", BASE + "dev1").body)
        href = j["_links"]["deploymentBase"]["href"].split(str(nb.port), 1)[1]
        action = href.rsplit("/", 1)[1].split("?")[0]
        assert feedback(nb, "dev1", action, "proceeding", details=["downloading"]).status == 200
        b = Browser(nb.port)
        b.login("olga", PW)
        api = token_of(b)
        assert whoami(nb, api) == 200
    finally:
        nb.stop()

    url = PgCluster.get().new_database()
    r = nb.ctl("store", "migrate", "--to", url)
    assert "to PostgreSQL" in r.stdout
    # a second run finds data there and refuses: nothing is copied twice
    again = nb.ctl("store", "migrate", "--to", url, check=False)
    assert again.returncode == 1 and "already holds data" in again.stderr

    # the same state directory (blobs, images), the store now PostgreSQL
    with open(nb.config, "a") as f:
        f.write("db:\n  url: \"%s\"\n" % url)
    os.rename(os.path.join(nb.state, "nestbox.db"), os.path.join(nb.state, "nestbox.db.old"))
    nb.start()
    # the device continues its action: same deployment, its token still valid
    j = json.loads(ddi(nb, "GET", BASE + "dev1").body)
    assert j["_links"]["deploymentBase"]["href"] == nb.url + href
    dep = json.loads(ddi(nb, "GET", href).body)
    assert dep["id"] == action
    assert feedback(nb, "dev1", action, "closed", "success").status == 200
    assert "deploymentBase" not in json.loads(ddi(nb, "GET", BASE + "dev1").body)["_links"]
    assert ddi(nb, "GET", BASE + "dev1", token="wrong").status == 401
    # the operator's password and API token, and the device's history
    b = Browser(nb.port)
    b.login("olga", PW)
    assert whoami(nb, api) == 200
    shown = nb.ctl("device", "show", "dev1").stdout
    assert "2.0" in shown
    # new rows get ids past the copied ones
    nb.ctl("device", "add", "dev2", "--token", "tok-2")
    assert "dev2" in nb.ctl("device", "show", "dev2").stdout
    nb.stop()


def test_migrate_refuses_a_url_that_is_not_postgresql(tmpdir_shared):
    nb = sqlite_nb(tmpdir_shared)
    r = nb.ctl("store", "migrate", "--to", "/tmp/other.db", check=False)
    assert r.returncode == 2 and "postgresql://" in r.stderr
    r = nb.ctl("store", "migrate", check=False)
    assert r.returncode == 2


def restart_cluster(pg):
    """pg_ctl restart -m fast: every backend is ended, the programs' connections with them."""
    pg.run("pg_ctl", "-D", pg.data, "-l", os.path.join(pg.dir, "log"), "-m", "fast", "-w", "restart")


def test_programs_reconnect_after_postgresql_restarts(tmpdir_shared):
    nb = Nestbox(tmpdir_shared, {"NESTBOX_DDI__POLL_TIME": "00:00:05"}, store="postgresql")
    nb.ctl("init")
    swu = make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")
    sid = nb.ctl("software", "add", swu).stdout.strip()
    nb.ctl("device", "add", "dev1", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    nb.start()
    try:
        assert board_a(nb, "dev1") == 200
        # both ddi.fcgi processes hold a connection (and prepared statements)
        for _ in range(6):
            assert ddi(nb, "GET", BASE + "dev1").status == 200
        j = json.loads(ddi(nb, "GET", BASE + "dev1").body)
        action = j["_links"]["deploymentBase"]["href"].rsplit("/", 1)[1].split("?")[0]

        restart_cluster(PgCluster.get())
        # a request that finds its connection gone answers 503 (retry) or,
        # having sent nothing yet, reconnects and answers; never 401 or 500
        first = [ddi(nb, "GET", BASE + "dev1").status for _ in range(2)]
        assert set(first) <= {200, 503}, first
        # then every request works, reads and writes, without restarting nestbox
        for _ in range(6):
            r = ddi(nb, "GET", BASE + "dev1")
            assert r.status == 200, (r.status, r.body)
            assert json.loads(r.body)["_links"]["deploymentBase"]["href"].rsplit("/", 1)[1] \
                .split("?")[0] == action
        assert feedback(nb, "dev1", action, "proceeding", details=["after restart"]).status == 200
        assert feedback(nb, "dev1", action, "closed", "success").status == 200
        j = json.loads(ddi(nb, "GET", BASE + "dev1").body)
        assert "deploymentBase" not in j["_links"]
        assert "2.0" in nb.ctl("device", "show", "dev1").stdout
    finally:
        nb.stop()
    assert " 500 for " not in nb.read_log()


def test_a_poll_while_postgresql_is_down_is_503_not_401(tmpdir_shared):
    """A device asking while the store cannot be read is told to retry (503
    with Retry-After), never that it is unknown (401): the store's fault is
    not the device's.  Once PostgreSQL is back the same device is served."""
    nb = Nestbox(tmpdir_shared, {}, store="postgresql")
    nb.ctl("init")
    nb.ctl("device", "add", "dev1", "--token", "tok-1")
    nb.start()
    pg = PgCluster.get()
    try:
        assert ddi(nb, "GET", BASE + "dev1").status == 200
        pg.run("pg_ctl", "-D", pg.data, "-m", "fast", "-w", "stop")
        try:
            for _ in range(4):
                r = ddi(nb, "GET", BASE + "dev1")
                assert r.status == 503, (r.status, r.body)
                assert r.header("Retry-After")
        finally:
            pg.run("pg_ctl", "-D", pg.data, "-l", os.path.join(pg.dir, "log"), "-w", "-o",
                   "-k %s -c listen_addresses= -c fsync=off -c max_connections=300" % pg.dir,
                   "start")
        wait_until(lambda: ddi(nb, "GET", BASE + "dev1").status == 200, "the poll works again")
    finally:
        nb.stop()
    assert " 500 for " not in nb.read_log()


def rows(nb, sql, *args):
    """Rows of one query on the installation's store."""
    db = nb.db()
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def test_feedbacks_at_once_leave_each_action_consistent(tmpdir_shared):
    """Feedbacks of different devices commit side by side on PostgreSQL
    (each takes its device's lock, not the store's one writer lock): two
    "closed" sent at once to one action still close it once (one 200, one
    log entry, the device's version set once), and a "proceeding" racing
    them is logged only while the action is open."""
    nb = Nestbox(tmpdir_shared, {"NESTBOX_DDI__POLL_TIME": "00:00:05"}, store="postgresql")
    nb.ctl("init")
    swu = make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")
    sid = nb.ctl("software", "add", swu).stdout.strip()
    devs = ["dev%d" % i for i in range(4)]
    for d in devs:
        nb.ctl("device", "add", d, "--token", "tok-" + d, "--mode", "assigned", "--assign", sid)
    nb.start()
    try:
        actions = {}
        for d in devs:
            assert board_a(nb, d, token="tok-" + d) == 200
            j = json.loads(ddi(nb, "GET", BASE + d, token="tok-" + d).body)
            actions[d] = j["_links"]["deploymentBase"]["href"].rsplit("/", 1)[1].split("?")[0]
        # per device: three "closed" and two "proceeding", all devices at once
        jobs = [(d, ex) for d in devs for ex in ("closed", "proceeding", "closed", "proceeding",
                                                 "closed")]
        start = threading.Barrier(len(jobs))

        def send(job):
            d, ex = job
            start.wait()
            return d, ex, feedback(nb, d, actions[d], ex, "success" if ex == "closed" else "none",
                                   details=[ex], token="tok-" + d).status

        with ThreadPoolExecutor(len(jobs)) as pool:
            answers = list(pool.map(send, jobs))
        assert {s for _, _, s in answers} <= {200, 410, 503}, answers
        for d in devs:
            mine = [(ex, s) for dd, ex, s in answers if dd == d]
            closed_ok = [s for ex, s in mine if ex == "closed" and s == 200]
            # one "closed" of three got in first (or none, when all were busy: 503)
            assert len(closed_ok) <= 1, mine
            a = actions[d]
            logged = rows(nb, "SELECT execution FROM ddi_action_status WHERE action_id = ?"
                          " ORDER BY id", int(a))
            assert [r[0] for r in logged].count("closed") == len(closed_ok), (mine, logged)
            # every 200 is one log entry, and nothing follows the closing one
            assert len(logged) == sum(1 for _, s in mine if s == 200), (mine, logged)
            if closed_ok:
                assert logged[-1][0] == "closed", logged
            status = rows(nb, "SELECT status FROM ddi_actions WHERE id = ?", int(a))[0][0]
            assert status == ("finished" if closed_ok else "running"), (mine, status)
    finally:
        nb.stop()
    assert " 500 for " not in nb.read_log()


def statements_logged(pg, run):
    """What the installation's programs sent to PostgreSQL while run() ran:
    {backend pid: [logged statement, …]} from the cluster's log
    (log_statement = all on the installation's database, set before it
    started; log_line_prefix's "[pid]" names the backend)."""
    log = os.path.join(pg.dir, "log")
    at = os.path.getsize(log)
    run()
    wait_until(lambda: os.path.getsize(log) > at, "the statements logged")
    with open(log, errors="replace") as f:
        f.seek(at)
        text = f.read()
    out = {}
    for m in re.finditer(r"\[(\d+)\] LOG:  (?:statement|execute [^:]*): (.*)", text):
        out.setdefault(int(m.group(1)), []).append(m.group(2))
    return out


def logged_pg_nb(base):
    """An installation on PostgreSQL, not started, with software 2.0 added
    and every statement to its database logged (log_statement = all, what
    statements_logged reads): (nb, the software's id)."""
    nb = Nestbox(base, {"NESTBOX_DDI__POLL_TIME": "00:00:05"}, store="postgresql")
    nb.ctl("init")
    sid = nb.ctl("software", "add", make_swu(os.path.join(base, "sw"), "2.0")).stdout.strip()
    db = nb.db()
    try:
        name = db.execute("SELECT current_database()").fetchone()[0]
        db.execute('ALTER DATABASE "%s" SET log_statement = \'all\'' % name)
    finally:
        db.close()
    return nb, sid


def test_a_poll_is_one_round_trip_without_begin_or_commit(tmpdir_shared):
    """A poll with nothing to do reads the device (with its newest action)
    and the data version in one snapshot without a transaction of its own:
    two statements in one pipeline on PostgreSQL, no BEGIN, no COMMIT
    (each was a message the server parsed and answered), and nothing
    written."""
    nb, sid = logged_pg_nb(tmpdir_shared)
    nb.ctl("device", "add", "dev1", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    nb.start()
    try:
        assert board_a(nb, "dev1", "2.0") == 200
        # seen just now (last_seen is written once a minute: not during the
        # polls below), then the candidate cache filled
        with nb.db() as db:
            db.execute("UPDATE ddi_devices SET last_seen = ?", (int(time.time()),))
        for _ in range(24):
            assert ddi(nb, "GET", BASE + "dev1").status == 200

        def polls():
            for _ in range(10):
                r = ddi(nb, "GET", BASE + "dev1")
                assert r.status == 200, (r.status, r.body)
                assert "deploymentBase" not in json.loads(r.body)["_links"]
        sent = statements_logged(PgCluster.get(), polls)
    finally:
        nb.stop()
    # the request log's own writer (nestbox-accesslog) aside
    ddi_sent = [s for lines in sent.values() if any("ddi_devices" in s for s in lines)
                for s in lines]
    lookups = [s for s in ddi_sent if "FROM ddi_devices d" in s]
    assert len(lookups) == 10, ddi_sent
    assert not [s for s in ddi_sent if re.match(r"(BEGIN|COMMIT|ROLLBACK|SAVEPOINT)", s)], ddi_sent
    assert len(ddi_sent) == 20, ddi_sent       # each poll: the device, the data version


def open_actions(nb, sid, devs):
    """Each device given its attributes and polled once: {device: its open action's id}."""
    actions = {}
    for d in devs:
        nb.ctl("device", "add", d, "--token", "tok-" + d, "--mode", "assigned", "--assign", sid)
    for d in devs:
        assert board_a(nb, d, token="tok-" + d) == 200
        j = json.loads(ddi(nb, "GET", BASE + d, token="tok-" + d).body)
        actions[d] = int(j["_links"]["deploymentBase"]["href"].rsplit("/", 1)[1].split("?")[0])
    return actions


def test_feedback_trims_an_actions_log_only_past_1000_entries(tmpdir_shared):
    """An action keeps at most 1000 status entries (hawkBit's limit), and
    the trim is part of the entry's own statement on PostgreSQL (a WITH
    clause: it needs no answer, and goes with the COMMIT): once the action
    holds 1000 entries with the new one, the newest 900 are kept, and not
    before.  A fleet's feedbacks interleave, so the ids of one action's
    entries span far more than its count (another action's entries
    between them here)."""
    nb, sid = logged_pg_nb(tmpdir_shared)
    nb.start()
    try:
        actions = open_actions(nb, sid, ["few", "edge", "full", "many"])
        assert feedback(nb, "few", actions["few"], "proceeding", details=["first"],
                        token="tok-few").status == 200
        with nb.db() as db:
            for d, n in (("edge", 998), ("full", 999), ("many", 1100)):
                db.executemany("INSERT INTO ddi_action_status(action_id, ts, execution,"
                               " finished, details) VALUES(?, 0, 'proceeding', 'none', ?)",
                               [(actions[d], "line %d" % i) for i in range(n)])
        sent = statements_logged(PgCluster.get(), lambda: [
            feedback(nb, d, actions[d], "proceeding", details=["again"],
                     token="tok-" + d).status for d in ("few", "edge", "full", "many")])
    finally:
        nb.stop()
    lines = [s for lines in sent.values() for s in lines]
    assert not [s for s in lines if s.startswith("DELETE FROM ddi_action_status")], lines
    assert len([s for s in lines if "INSERT INTO ddi_action_status" in s]) == 4, lines
    counts = dict(rows(nb, "SELECT action_id, count(*) FROM ddi_action_status GROUP BY action_id"))
    assert counts[actions["few"]] == 2
    assert counts[actions["edge"]] == 999, counts
    assert counts[actions["full"]] == 900, counts
    assert counts[actions["many"]] == 900, counts
    newest = rows(nb, "SELECT details FROM ddi_action_status WHERE action_id = ?"
                  " ORDER BY id DESC LIMIT 2", actions["many"])
    assert [r[0].strip() for r in newest] == ["again", "line 1099"], newest
    assert " 500 for " not in nb.read_log()


def actions_scanned(nb):
    """ddi_actions' (whole-table scans, index scans) so far, from the server's
    statistics (each backend reports its own once idle, within seconds)."""
    return tuple(rows(nb, "SELECT seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables"
                      " WHERE relname = 'ddi_actions'")[0])


def test_a_poll_reads_the_newest_action_by_its_index_whatever_the_statistics(tmpdir_shared):
    """The poll's device lookup brings the device's newest action along, and
    on PostgreSQL reaches it through the device's entries of ddi_actions'
    index whatever the planner believes of the table: statistics taken when
    it held two rows (1,000 actions added since, before autovacuum looked
    again, as after a fleet's import) made the lookup hash every action of
    the store on each poll, one read of the whole table per poll."""
    nb = Nestbox(tmpdir_shared, {"NESTBOX_DDI__POLL_TIME": "00:00:05"}, store="postgresql")
    nb.ctl("init")
    swu = make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")
    sid = nb.ctl("software", "add", swu).stdout.strip()
    nb.ctl("device", "add", "dev1", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    nb.ctl("device", "add", "old", "--token", "tok-old", "--mode", "assigned", "--assign", sid)
    with nb.db() as db:
        db.execute("ALTER TABLE ddi_actions SET (autovacuum_enabled = false)")
        for n in (2, 1000):
            db.execute("INSERT INTO ddi_actions(device_id, software_id, status, progress,"
                       " created, updated) SELECT d.id, ?, 'finished', 100, 0, 0 FROM"
                       " ddi_devices d, generate_series(1, ?) WHERE d.controller_id = 'old'",
                       (int(sid), n))
            if n == 2:
                db.execute("ANALYZE")
    nb.start()
    try:
        seq0, idx0 = actions_scanned(nb)
        for _ in range(20):
            r = ddi(nb, "GET", BASE + "dev1")
            assert r.status == 200, (r.status, r.body)
            assert "deploymentBase" not in json.loads(r.body)["_links"]
        # each poll's index read of the newest action is reported: so is any scan
        wait_until(lambda: actions_scanned(nb)[1] >= idx0 + 20, "the polls' statistics")
        seq1, _ = actions_scanned(nb)
    finally:
        nb.stop()
    assert seq1 == seq0, (seq0, seq1)
    assert " 500 for " not in nb.read_log()


def data_version(nb):
    return rows(nb, "SELECT sum(n) FROM nb_data_version")[0][0]


def test_a_feedback_leaves_the_data_version_a_poll_caches_on(tmpdir_shared):
    """The data version keys each program's cache of what a poll offers
    (software, rollouts) and moves with every write to those tables; the
    actions and their log are not in any such cache, so a device's
    feedback, the fleet's most frequent write, moves it on PostgreSQL no
    more than it is needed (each move was a trigger's row update in the
    feedback's transaction).  A new software still moves it."""
    nb = Nestbox(tmpdir_shared, {"NESTBOX_DDI__POLL_TIME": "00:00:05"}, store="postgresql")
    nb.ctl("init")
    swu = make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")
    sid = nb.ctl("software", "add", swu).stdout.strip()
    nb.ctl("device", "add", "dev1", "--token", "tok-dev1", "--mode", "assigned", "--assign", sid)
    # seen within the minute for the whole test, however slow the machine:
    # its last_seen is not written again (once a minute), a write of the
    # poll's that would move the version
    with nb.db() as db:
        db.execute("UPDATE ddi_devices SET last_seen = ?", (int(time.time()) + 3600,))
    nb.start()
    try:
        assert ddi(nb, "PUT", BASE + "dev1/configData", token="tok-dev1", body={
            "mode": "merge", "data": {"hw_boardname": "board-a", "hw_revision": "2.0",
                                      "sw_version": "1.0"}}).status == 200
        j = json.loads(ddi(nb, "GET", BASE + "dev1", token="tok-dev1").body)
        action = int(j["_links"]["deploymentBase"]["href"].rsplit("/", 1)[1].split("?")[0])
        v0 = data_version(nb)
        for i in range(5):
            assert feedback(nb, "dev1", action, "proceeding", details=["step %d" % i],
                            token="tok-dev1").status == 200
        v1 = data_version(nb)
        nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "sw3"), "3.0"))
        v2 = data_version(nb)
    finally:
        nb.stop()
    assert v1 == v0, (v0, v1)
    assert v2 > v1, (v1, v2)
    logged = rows(nb, "SELECT count(*) FROM ddi_action_status WHERE action_id = ?", action)
    assert logged[0][0] == 5
    assert " 500 for " not in nb.read_log()


class WireCount:
    """A unix-socket relay between the programs and the suite's cluster that
    counts what each connection's client sends in one write: a program
    sends a pipeline and waits for its answer, so its writes during one
    request are the round trips it waited for.  The bytes pass unchanged."""

    def __init__(self, base):
        import socket
        self.dir = os.path.join(base, "relay")
        os.makedirs(self.dir, exist_ok=True)
        self.target = os.path.join(PgCluster.get().dir, ".s.PGSQL.5432")
        self.sends = []           # [(connection number, bytes)], in order
        self.lock = threading.Lock()
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(os.path.join(self.dir, ".s.PGSQL.5432"))
        self.server.listen(64)
        threading.Thread(target=self.accept, daemon=True).start()

    def url(self, pg_url):
        return re.sub(r"host=[^&]*", "host=" + self.dir, pg_url)

    def accept(self):
        import socket
        n = 0
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            n += 1
            up = socket.socket(socket.AF_UNIX)
            up.connect(self.target)
            threading.Thread(target=self.pump, args=(client, up, n), daemon=True).start()
            threading.Thread(target=self.pump, args=(up, client, 0), daemon=True).start()

    def pump(self, src, dst, n):
        try:
            while True:
                b = src.recv(65536)
                if not b:
                    break
                if n:
                    with self.lock:
                        self.sends.append((n, b))
                dst.sendall(b)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(2)
            except OSError:
                pass

    def mark(self):
        with self.lock:
            return len(self.sends)

    def writes_of(self, since, marker):
        """The writes since mark() of the connection whose writes carry marker."""
        return self.conn_writes_of(since, marker)[1]

    def conn_writes_of(self, since, marker):
        """(that connection's number, its writes since mark())."""
        with self.lock:
            sent = self.sends[since:]
        conns = {n for n, b in sent if marker in b}
        assert len(conns) == 1, conns
        conn, = conns
        return conn, [b for n, b in sent if n == conn]


def test_a_feedback_is_two_round_trips(tmpdir_shared):
    """A progress feedback's store work on PostgreSQL, counted on the
    wire: the device (before the body is looked at), then its whole
    transaction in one pipeline: BEGIN, the device's lock, one statement
    that reads the action and writes the log entry (its trim inside it)
    and the progress when the action is open, and COMMIT
    (ddi_action_take, db_commit_with_next).  It was three: the action was
    read first and the writes and COMMIT sent after its answer, while the
    device's lock was held.  The log entries prove each one committed."""
    nb = Nestbox(tmpdir_shared, {"NESTBOX_DDI__POLL_TIME": "00:00:05"}, store="postgresql")
    relay = WireCount(tmpdir_shared)
    nb.env["NESTBOX_DB__URL"] = relay.url(nb.pg_url)
    nb.ctl("init")
    swu = make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")
    sid = nb.ctl("software", "add", swu).stdout.strip()
    nb.ctl("device", "add", "dev1", "--token", "tok-dev1", "--mode", "assigned", "--assign", sid)
    with nb.db() as db:   # seen just now: no last_seen write during the feedbacks
        db.execute("UPDATE ddi_devices SET last_seen = ?", (int(time.time()),))
    nb.start()
    try:
        assert ddi(nb, "PUT", BASE + "dev1/configData", token="tok-dev1", body={
            "mode": "merge", "data": {"hw_boardname": "board-a", "hw_revision": "2.0",
                                      "sw_version": "1.0"}}).status == 200
        j = json.loads(ddi(nb, "GET", BASE + "dev1", token="tok-dev1").body)
        action = int(j["_links"]["deploymentBase"]["href"].rsplit("/", 1)[1].split("?")[0])
        counts = []
        for i in range(6):
            at = relay.mark()
            marker = "wire-marker-%d" % i
            assert feedback(nb, "dev1", action, "proceeding", details=[marker],
                            token="tok-dev1").status == 200
            counts.append(len(relay.writes_of(at, marker.encode())))
    finally:
        nb.stop()
    # (a process's first feedback prepares its statements first: more)
    assert min(counts) == 2 and counts.count(2) >= 3, counts
    logged = rows(nb, "SELECT count(*) FROM ddi_action_status WHERE action_id = ?", action)
    assert logged[0][0] == 6
    assert " 500 for " not in nb.read_log()


def test_a_poll_is_one_write_to_postgresql(tmpdir_shared):
    """A poll with nothing to do sends the data version, the device with
    its newest action and the pipeline's Sync in one write on its program's
    connection, and waits for one answer: the read ends on the server with
    it, and nothing is left to send after (the Sync was a second write, sent
    once the answer was in)."""
    nb = Nestbox(tmpdir_shared, {"NESTBOX_DDI__POLL_TIME": "00:00:05"}, store="postgresql")
    relay = WireCount(tmpdir_shared)
    nb.env["NESTBOX_DB__URL"] = relay.url(nb.pg_url)
    nb.ctl("init")
    sid = nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")).stdout.strip()
    dev = "wire-poll-device"
    nb.ctl("device", "add", dev, "--token", "tok-w", "--mode", "assigned", "--assign", sid)
    nb.start()
    try:
        assert board_a(nb, dev, "2.0", token="tok-w") == 200
        # seen just now: no last_seen write during the polls (once a minute)
        with nb.db() as db:
            db.execute("UPDATE ddi_devices SET last_seen = ?", (int(time.time()),))
        counts = {}
        for i in range(30):
            at = relay.mark()
            r = ddi(nb, "GET", BASE + dev, token="tok-w")
            assert r.status == 200, (r.status, r.body)
            assert "deploymentBase" not in json.loads(r.body)["_links"]
            # what the connection sends after the answer is counted with the next poll;
            # the id as a bound parameter (its length first), not in a request-log row
            conn, writes = relay.conn_writes_of(at, struct.pack("!I", len(dev)) + dev.encode())
            counts.setdefault(conn, []).append(len(writes))
    finally:
        nb.stop()
    # a process's first polls prepare their statements (more writes): each
    # connection's first five are left out, whichever process the front end
    # gave the polls to
    warm = [c for per in counts.values() for c in per[5:]]
    assert len(warm) >= 10 and warm == [1] * len(warm), counts
    assert " 500 for " not in nb.read_log()


def test_a_feedback_whose_writer_lock_is_held_is_503_and_changes_nothing(tmpdir_shared):
    """A feedback's BEGIN and its locks go with its first statement
    (test_a_feedback_is_two_round_trips): the store's writer lock held
    elsewhere (as db_begin's writers hold it: an operator, nestboxctl) past
    the store's busy timeout fails that statement, and the feedback is a
    503 that wrote nothing; the next one, the lock free, is taken.  (Its
    device's own lock is waited for without a limit:
    test_ddi_concurrent.py.)"""
    nb = Nestbox(tmpdir_shared, {"NESTBOX_DDI__POLL_TIME": "00:00:05",
                                 "NESTBOX_DB__BUSY_TIMEOUT_MS": "300"}, store="postgresql")
    nb.ctl("init")
    swu = make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")
    sid = nb.ctl("software", "add", swu).stdout.strip()
    nb.start()
    holder = None
    try:
        action = open_actions(nb, sid, ["dev1"])["dev1"]
        holder = nb.db()
        holder.execute("SELECT pg_advisory_lock(7305001)")   # db_pg.c's PG_WRITE_LOCK
        r = feedback(nb, "dev1", action, "proceeding", details=["held"], token="tok-dev1")
        assert r.status == 503, (r.status, r.body)
        holder.execute("SELECT pg_advisory_unlock(7305001)")
        assert feedback(nb, "dev1", action, "proceeding", details=["free"],
                        token="tok-dev1").status == 200
    finally:
        if holder:
            holder.close()
        nb.stop()
    logged = rows(nb, "SELECT details FROM ddi_action_status WHERE action_id = ?", action)
    assert [d.strip() for (d,) in logged] == ["free"], logged
    assert " 500 for " not in nb.read_log()
