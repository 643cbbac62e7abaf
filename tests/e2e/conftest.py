"""Fixtures for the end-to-end suite: a real lighttpd running the built
programs over a fresh state directory, and helpers to talk to it.

The suite runs the binaries named by NESTBOX_CGIBIN / NESTBOX_BINDIR (the
Makefile points them at the normal or the sanitizer build).  Whatever a
program writes to stderr lands in the server's log, which is checked for
sanitizer reports when the server stops.
"""
import atexit
import http.client
import itertools
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CGIBIN = os.environ.get("NESTBOX_CGIBIN", os.path.join(ROOT, "cgi-bin"))
BINDIR = os.environ.get("NESTBOX_BINDIR", os.path.join(ROOT, "bin"))
CTL = os.path.join(BINDIR, "nestboxctl")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                   # a handler reading input its route does not declare (src/lib/req.c)
                   "reads undeclared input")


def suite_tmp():
    """Where the suite's temporary files go: a directory of its own on
    /dev/shm when that tmpfs has room (8 GiB free), else $TMPDIR or /tmp;
    NESTBOX_TEST_TMP names another.  Every test makes a state directory
    and a store (and on PostgreSQL a database: hundreds of files) and
    removes them: on ext4 that creation, the fsyncs and the journal cost a
    tenth of the suite's CPU, on a tmpfs nothing.  What the suite tests of
    durability is which calls are made (test_durability, strace), not
    what a disk does with them.  The directory goes when the suite ends
    (and, being memory, at the latest with the machine)."""
    base = os.environ.get("NESTBOX_TEST_TMP")
    if not base:
        try:
            st = os.statvfs("/dev/shm")
            if st.f_bavail * st.f_frsize >= 8 << 30 and os.access("/dev/shm", os.W_OK):
                base = "/dev/shm"
        except OSError:
            pass
    if not base:
        return None
    d = tempfile.mkdtemp(prefix="nestbox-suite-", dir=base)
    os.chmod(d, 0o755)      # Apache's and PostgreSQL's accounts walk through it
    atexit.register(shutil.rmtree, d, True)
    return d


# every tempfile name the suite and its children (TMPDIR) make
SUITE_TMP = suite_tmp()
if SUITE_TMP:
    tempfile.tempdir = SUITE_TMP
    os.environ["TMPDIR"] = SUITE_TMP


# NESTBOX_TEST_STORE=postgresql runs the suite on a PostgreSQL store (make test-pg)
STORE = os.environ.get("NESTBOX_TEST_STORE", "sqlite")
PG_BIN = os.environ.get("NESTBOX_PG_BIN", "/usr/lib/postgresql/15/bin")


class PgCluster:
    """A PostgreSQL cluster of the suite's own: initdb into a temporary
    directory, listening on a unix socket in that directory only (no TCP
    port), trust authentication for the local user "postgres"; each
    Nestbox gets a fresh database in it.  initdb refuses root: as root the
    cluster runs as the "postgres" account (or nobody)."""

    _one = None

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="nestbox-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.user = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    self.user = pwd.getpwnam(name)
                    break
                except KeyError:
                    pass
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        self.names = itertools.count(1)
        self.conn = None          # sql()
        self.migrated = None      # template()
        self.run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync",
                 "-E", "UTF8", "--locale=C")
        # fsync off: a test cluster, thrown away; durability is SQLite's tests' and PostgreSQL's own
        self.run("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "-o",
                 "-k %s -c listen_addresses= -c fsync=off -c max_connections=300" % self.dir,
                 "start")
        atexit.register(self.stop)

    def run(self, prog, *args):
        kw = {}
        if self.user:
            kw = dict(user=self.user.pw_uid, group=self.user.pw_gid)
        p = subprocess.run([os.path.join(PG_BIN, prog), *args], capture_output=True, text=True,
                           cwd=self.dir, **kw)
        if p.returncode != 0:
            raise AssertionError("%s failed: %s%s" % (prog, p.stdout, p.stderr))
        return p.stdout

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self.run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        if not os.environ.get("NESTBOX_PG_KEEP"):     # its log, to read after a failure
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, name):
        return "postgresql:///%s?host=%s&user=postgres" % (name, self.dir)

    # every database made, in order: the test that made one drops it when it
    # ends (drop_test_databases), or the cluster grows by a database a test,
    # several GiB over the suite
    made = []

    def sql(self, statement):
        """Runs one statement outside a transaction (CREATE and DROP
        DATABASE) on the cluster's "postgres" database, through one
        connection kept for the session: a createdb or dropdb process per
        test cost about a tenth of a second of CPU each."""
        import psycopg2       # the suite on PostgreSQL only (scripts/deps.sh)
        for last in (False, True):
            if self.conn is None or self.conn.closed:
                self.conn = psycopg2.connect(self.url("postgres"))
                self.conn.autocommit = True
            try:
                with self.conn.cursor() as c:
                    c.execute(statement)
                return
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                # a test restarted the cluster: connect again, once
                self.conn = None
                if last:
                    raise

    def new_database(self, migrated=False):
        """The URL of a new database: empty, or (migrated) holding what
        `nestboxctl init` makes, copied from a template database that
        `nestboxctl init` made once for the session.  Each Nestbox runs
        init on its copy again (nothing left to migrate): on a fresh
        database init's migrations cost twice the copy and the second
        init together.  The migrations themselves stay tested: the
        template is made by them, and `store migrate` targets and the
        unit tests start from empty databases."""
        name = "nb%d_%d" % (os.getpid(), next(self.names))
        if migrated:
            self.sql('CREATE DATABASE "%s" TEMPLATE "%s" STRATEGY FILE_COPY'
                     % (name, self.template()))
        else:
            self.sql('CREATE DATABASE "%s"' % name)
        PgCluster.made.append(name)
        return self.url(name)

    def template(self):
        if self.migrated is None:
            name = "nb%d_template" % os.getpid()
            self.sql('CREATE DATABASE "%s"' % name)
            d = os.path.join(self.dir, "template-config")
            os.makedirs(d, exist_ok=True)
            config = os.path.join(d, "nestbox.yaml")
            with open(config, "w") as f:
                f.write('server:\n  var_dir: var\ndb:\n  url: "%s"\n' % self.url(name))
            env = {k: v for k, v in os.environ.items() if not k.startswith("NESTBOX_")}
            env["NESTBOX_CONFIG"] = config
            p = subprocess.run([CTL, "init"], env=env, capture_output=True, text=True, cwd=d)
            if p.returncode != 0:
                raise AssertionError("nestboxctl init of the template database: " + p.stderr)
            self.migrated = name
        return self.migrated

    def drop_databases(self, names):
        """Drop these databases, closing what is still connected (FORCE);
        a failure is left for the cluster's own removal at exit."""
        for name in names:
            try:
                self.sql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
            except Exception:
                pass

    @classmethod
    def get(cls):
        if cls._one is None:
            cls._one = cls()
        return cls._one


def sqlite_only(why):
    """Marks a test about the SQLite file itself (its locks, its WAL, the
    open file), not run on PostgreSQL; why says what of the file it tests."""
    return pytest.mark.skipif(STORE == "postgresql", reason="SQLite-only: " + why)


def pg_sql(sql):
    """sqlite3's "?" placeholders as psycopg2's "%s" (and a literal "%" as
    "%%"), outside quoted strings and names."""
    out, quote = [], None
    for ch in sql:
        if quote:
            quote = None if ch == quote else quote
            out.append("%%" if ch == "%" else ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        else:
            out.append("%s" if ch == "?" else "%%" if ch == "%" else ch)
    return "".join(out)


class PgConnection:
    """The part of sqlite3.Connection the tests use, on a PostgreSQL
    database: execute/executemany with "?" placeholders answering a cursor
    (fetchone, fetchall, iteration, rowcount: rows are tuples), commit,
    rollback, close, and "with" committing or rolling back.  As sqlite3
    does, a data change opens a transaction that lasts until commit and a
    plain read opens none (so a test's open connection holds no snapshot
    or lock between its statements)."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self, url):
        import psycopg2       # the suite on PostgreSQL only (scripts/deps.sh)
        self.conn = psycopg2.connect(url)
        self.conn.autocommit = True
        self.in_tx = False

    def _begin_if_write(self, sql):
        if not self.in_tx and sql.lstrip().upper().startswith(self.WRITES):
            self.conn.cursor().execute("BEGIN")
            self.in_tx = True

    def execute(self, sql, args=()):
        self._begin_if_write(sql)
        cur = self.conn.cursor()
        cur.execute(pg_sql(sql), tuple(args))
        return cur

    def executemany(self, sql, rows):
        self._begin_if_write(sql)
        cur = self.conn.cursor()
        cur.executemany(pg_sql(sql), [tuple(r) for r in rows])
        return cur

    def commit(self):
        if self.in_tx:
            self.conn.cursor().execute("COMMIT")
            self.in_tx = False

    def rollback(self):
        if self.in_tx:
            self.conn.cursor().execute("ROLLBACK")
            self.in_tx = False

    def close(self):
        self.rollback()
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            self.commit()
        else:
            self.rollback()
        return False


def pg_available():
    """Whether this machine can start a PostgreSQL cluster (make test-pg's check)."""
    return os.path.exists(os.path.join(PG_BIN, "initdb"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, what, limit=20.0):
    """Polls pred (bounded); a start-up wait, not a timing assertion.
    The pause grows from 20 ms to 200 ms: a short wait ends soon after its
    condition, and a long one (a container's start, a logger's retry)
    does not spend the suite's CPU on a predicate that starts a process
    (curl, podman) twenty times a second."""
    end = time.monotonic() + limit
    pause = 0.02
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(pause)
        pause = min(pause * 1.5, 0.2)
    raise AssertionError("gave up waiting for " + what)


def give_to_www_data(*tops):
    """Apache's programs run as www-data when root runs the suite: what
    nestboxctl wrote under tops as root goes to them.  A file the watcher
    or a program renames away meanwhile is skipped, not an error."""
    if os.getuid() != 0:
        return
    for top in tops:
        for d, _, files in os.walk(top):
            for p in [d] + [os.path.join(d, f) for f in files]:
                try:
                    shutil.chown(p, "www-data", "www-data")
                except FileNotFoundError:
                    pass


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())


class Nestbox:
    """One state directory plus, once started, one lighttpd serving it."""

    def __init__(self, base, env=None, store=None):
        self.base = base
        self.state = os.path.join(base, "var")
        self.images = os.path.join(self.state, "images")
        self.config = os.path.join(base, "nestbox.yaml")
        # store: "sqlite" or "postgresql"; None: the suite's (NESTBOX_TEST_STORE)
        self.pg_url = (PgCluster.get().new_database(migrated=True)
                       if (store or STORE) == "postgresql" else None)
        with open(self.config, "w") as f:
            f.write("server:\n  var_dir: var\nlog:\n  flush_every: 1\n"
                    "admin:\n  templates: %s/templates\n" % ROOT)
            if self.pg_url:
                f.write("db:\n  url: \"%s\"\n" % self.pg_url)
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("NESTBOX_") and "__" in k or k == "IMAGE_PATH":
                del self.env[k]
        self.env["NESTBOX_CONFIG"] = self.config
        # one process per program, started at its first request
        # (etc/nestbox-lighttpd.conf): every test starts its own lighttpd,
        # and the shipped counts (2 to 8 a program, 26 processes in all,
        # started with lighttpd) made process start-up most of the suite's
        # CPU time; a test of concurrency across processes, or of what
        # happens at start, passes {"NESTBOX_FCGI_MAX_PROCS": "",
        # "NESTBOX_FCGI_LAZY": ""}, or is marked shipped_procs
        if not SHIPPED_PROCS:
            self.env.setdefault("NESTBOX_FCGI_MAX_PROCS", "1")
            self.env.setdefault("NESTBOX_FCGI_LAZY", "1")
        self.env.update(env or {})
        self.proc = None
        self.port = None
        self.log = os.path.join(base, "lighttpd.log")

    # -- command line -------------------------------------------------------
    def ctl(self, *args, check=True, env=None):
        e = dict(self.env)
        e.update(env or {})
        p = subprocess.run([CTL, *args], env=e, capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError("nestboxctl %s failed: %s" % (args, p.stderr))
        return p

    def import_image(self, raw, box, board, branch=None, version=None):
        args = ["image", "import", raw, "--box", box, "--board", board]
        if branch:
            args += ["--branch", branch]
        if version:
            args += ["--version", version]
        return self.ctl(*args).stdout.strip()

    def build_id(self, box, image):
        with open(os.path.join(self.images, box, image + ".img.buildID")) as f:
            return f.read().split()[0]

    def db(self):
        """A connection to the instance's store, as sqlite3 gives one: on
        PostgreSQL a PgConnection on its database (the same calls)."""
        if self.pg_url:
            return PgConnection(self.pg_url)
        return sqlite3.connect(os.path.join(self.state, "nestbox.db"))

    # -- server -------------------------------------------------------------
    def start(self, conf=os.path.join(ROOT, "etc", "lighttpd.conf"), extra="/dev/null",
              own_group=False):
        """own_group: lighttpd leads a process group of its own, as under a
        service manager, so that a test can signal it with everything it
        started (stop_group)."""
        self.ctl("init")
        os.makedirs(os.path.join(self.state, "run"), exist_ok=True)
        self.port = free_port()
        env = dict(self.env)
        env.update(NESTBOX_ROOT=ROOT, NESTBOX_CGIBIN=CGIBIN, NESTBOX_STATE=self.state,
                   NESTBOX_HOST="127.0.0.1", NESTBOX_PORT=str(self.port),
                   NESTBOX_EXTRA=extra)
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(["lighttpd", "-D", "-f", conf], env=env,
                                     stdout=logf, stderr=subprocess.STDOUT,
                                     start_new_session=own_group)
        logf.close()

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("lighttpd exited: " + self.read_log())
            try:
                return self.get("/healthz").status in (200, 503)
            except OSError:
                return False
        wait_until(up, "lighttpd on port %d" % self.port)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            # lighttpd does not wait for its FastCGI programs: they finish
            # (batched writes, sanitizer reports) after it is gone
            try:
                wait_until(lambda: not self.backends(), "the programs to exit")
            except AssertionError:
                raise AssertionError("the programs did not exit:\n" + self.describe_backends())
        self.proc = None
        log = self.read_log()
        bad = [m for m in SANITIZER_MARKS if m in log]
        assert not bad, "sanitizer or undeclared-input report in the server log:\n" + log

    def stop_group(self, sig):
        """Sends sig to lighttpd's process group (start(own_group=True)):
        lighttpd, its programs and its piped loggers at once, as systemd
        (KillMode=control-group) or a terminal's Ctrl-C stop them; then
        waits for all of them to exit."""
        os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout=60)
        wait_until(lambda: not self.backends(), "the programs to exit", limit=60)
        self.stop()

    def backends(self):
        """pids of programs lighttpd started for this state directory"""
        mark = ("NESTBOX_STATE=%s\0" % self.state).encode()
        pids = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open("/proc/%s/environ" % pid, "rb") as f:
                    if mark in f.read() + b"\0":
                        pids.append(int(pid))
            except OSError:
                pass
        return pids

    def describe_backends(self):
        """What each program still running is doing (for a failed stop)."""
        out = []
        for pid in self.backends():
            info = {}
            for name in ("cmdline", "wchan", "status", "stack"):
                try:
                    with open("/proc/%d/%s" % (pid, name), "rb") as f:
                        info[name] = f.read().replace(b"\0", b" ").decode(errors="replace")
                except OSError as e:
                    info[name] = str(e)
            status = "".join(l + " " for l in info["status"].splitlines()
                             if l.split(":")[0] in ("State", "PPid", "SigPnd", "ShdPnd",
                                                    "SigBlk", "SigCgt"))
            out.append("%d %s wchan=%s %s\n%s" % (pid, info["cmdline"], info["wchan"], status,
                                                 info["stack"]))
        return "\n".join(out) + "\n" + self.read_log()[-3000:]

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, method, path, headers=None, body=None, timeout=60):
        """Sends path exactly as given (no client-side normalisation)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.putrequest(method, path, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                c.putheader(k, v)
            if body is not None:
                c.putheader("Content-Length", str(len(body)))
            c.endheaders(body)
            r = c.getresponse()
            data = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            c.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers)

    def raw(self, data):
        """Sends raw bytes and returns the raw answer (for malformed requests)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
            s.sendall(data)
            return read_to_close(s)


def read_to_close(s):
    """Everything socket s receives until its peer closes."""
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return out
        out += chunk


def burst(port, path, threads=4, each=250, headers=None):
    """GETs path % (thread, i) for i < each, with headers, from threads
    connections at once (one request after another on each); returns
    every status."""
    import http.client
    import threading
    statuses = []

    def one(t):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(each):
            c.request("GET", path % (t, i), headers=headers or {})
            r = c.getresponse()
            r.read()
            statuses.append(r.status)
        c.close()
    running = [threading.Thread(target=one, args=(t,)) for t in range(threads)]
    for th in running:
        th.start()
    for th in running:
        th.join()
    return statuses


# set while a test marked shipped_procs runs: its Nestboxes run the shipped
# process counts (Nestbox.__init__)
SHIPPED_PROCS = []


@pytest.fixture(autouse=True)
def shipped_procs(request):
    marked = request.node.get_closest_marker("shipped_procs") is not None
    if marked:
        SHIPPED_PROCS.append(True)
    yield
    if marked:
        SHIPPED_PROCS.pop()


def pytest_configure(config):
    config.addinivalue_line("markers", "shipped_procs: the test's front ends run every "
                            "program's shipped process count, all started with the "
                            "front end, not the suite's one started at its first request")


@pytest.fixture
def tmpdir_shared():
    """A temp dir any user can enter (Apache's children do not run as root)."""
    d = tempfile.mkdtemp(prefix="nestbox-e2e-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(autouse=True)
def drop_test_databases():
    """The databases a test made, dropped when it ends (after its own
    fixtures' teardown, which stops its front ends); a module's fixture
    makes its database before this starts counting, so it is kept."""
    first = len(PgCluster.made)
    yield
    names = PgCluster.made[first:]
    if names and PgCluster._one is not None:
        del PgCluster.made[first:]
        PgCluster._one.drop_databases(names)


@pytest.fixture
def nb(tmpdir_shared):
    n = Nestbox(tmpdir_shared)
    yield n
    n.stop()


@pytest.fixture
def make_nb(tmpdir_shared):
    made = []

    def make(env=None, sub="a"):
        d = os.path.join(tmpdir_shared, sub)
        os.makedirs(d, exist_ok=True)
        n = Nestbox(d, env)
        made.append(n)
        return n
    yield make
    for n in made:
        n.stop()


def make_raw_image(path, size=3 * 1024 * 1024, seed=1):
    """A disk image with random and zero regions (like a real one)."""
    import random
    rnd = random.Random(seed)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 256 * 1024)
            if rnd.random() < 0.5:
                f.write(rnd.randbytes(n))
            else:
                f.write(b"\0" * n)
            left -= n
    return path
