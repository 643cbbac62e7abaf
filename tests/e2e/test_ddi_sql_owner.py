"""Issue 12 item 1: every table belongs to one domain, and only that
domain's store files (*_store.c) hold its SQL.  The DDI domain's other
files (the device API, rollouts, the software repository) and the
nestboxctl commands over DDI tables call store functions instead; this
reads the sources so that a statement added back outside a store file is
caught.  The commands whose statements moved answer as before: their
output is checked here on either store (no test reads the SQLite file)."""
import hashlib
import json
import os
import re

import pytest

from test_ddi import BASE, ddi, ddi_nb, feedback  # noqa: F401 (ddi_nb is a fixture)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# the store API's calls that take SQL text
SQL_CALL = re.compile(r"\bdb_(stmt|prepare|exec)\s*\(")
# SQL in a string literal: a statement's opening words
SQL_TEXT = re.compile(r'"[^"\n]*\b(SELECT\s.*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b')


def ddi_sources():
    d = os.path.join(ROOT, "src", "ddi")
    names = sorted(n for n in os.listdir(d) if n.endswith(".c") and not n.endswith("_store.c"))
    assert "ddi_rollout.c" in names and "ddi_software.c" in names
    return [os.path.join("src", "ddi", n) for n in names] + [
        "src/tools/ctl_devices.c", "src/tools/ctl_software.c"]


@pytest.mark.parametrize("path", ddi_sources())
def test_no_sql_outside_the_ddi_store_files(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        lines = f.read().splitlines()
    found = ["%s:%d: %s" % (path, i + 1, line.strip()) for i, line in enumerate(lines)
             if SQL_CALL.search(line) or SQL_TEXT.search(line)]
    assert not found, "SQL outside a *_store.c file:\n" + "\n".join(found)


def test_the_check_sees_sql():
    """The patterns find what they are for (a check that cannot fail proves nothing)."""
    assert SQL_CALL.search('st = db_stmt(app->db, sql_add);')
    assert SQL_TEXT.search('"SELECT attributes FROM ddi_devices WHERE id=?"')
    assert SQL_TEXT.search('"UPDATE ddi_rollouts SET percent=?, updated=? WHERE id=?"')
    assert SQL_TEXT.search('"INSERT INTO ddi_rollouts(name) VALUES(?)"')
    assert not SQL_TEXT.search('"select a rollout from the list"')


def poll_action(nb, dev):
    """The device's offered action id, after it sent its attributes."""
    r = ddi(nb, "PUT", BASE + dev + "/configData", body={
        "mode": "merge", "data": {"hw_boardname": "board-a", "hw_revision": "2.0",
                                  "sw_version": "1.0"}})
    assert r.status == 200
    href = json.loads(ddi(nb, "GET", BASE + dev).body)["_links"]["deploymentBase"]["href"]
    return href.split("/deploymentBase/")[1].split("?")[0]


def test_device_list_and_show_read_through_the_store(ddi_nb):
    nb, swu, sid = ddi_nb
    nb.ctl("device", "add", "b-dev", "--token", "tok-1", "--mode", "assigned", "--assign", sid,
           "--feed", "stable")
    nb.ctl("device", "add", "b-dev", "--tenant", "T2")
    nb.ctl("device", "add", "a-dev", "--feed", "lab")
    nb.ctl("device", "set", "a-dev", "--name", "Front", "--tags", "x,y")
    action = poll_action(nb, "b-dev")
    assert feedback(nb, "b-dev", action, "proceeding").status == 200
    rows = json.loads(nb.ctl("device", "list", "--json").stdout)
    # by controller id; the same id in another tenant is listed too
    assert [(r["controller_id"], r["tenant"]) for r in rows] == \
        [("a-dev", "DEFAULT"), ("b-dev", "DEFAULT"), ("b-dev", "T2")] or \
        [(r["controller_id"], r["tenant"]) for r in rows] == \
        [("a-dev", "DEFAULT"), ("b-dev", "T2"), ("b-dev", "DEFAULT")], rows
    a, b = rows[0], [r for r in rows if r["tenant"] == "DEFAULT"][1]
    assert a == {"controller_id": "a-dev", "state": "registered", "version": "", "mode": "rollout",
                 "board": ":", "last_seen": None, "feed": "lab", "name": "Front",
                 "tags": "x,y", "tenant": "DEFAULT"}, a
    assert (b["state"], b["version"], b["mode"], b["board"], b["feed"]) == \
        ("running", "1.0", "assigned", "board-a:2.0", "stable"), b
    piped = nb.ctl("device", "list").stdout.splitlines()
    assert piped[0] == "a-dev\tregistered\t\trollout\t:\tnever", piped
    # show finds the first device of that id (DEFAULT was added first) and its actions
    shown = nb.ctl("device", "show", "b-dev").stdout.splitlines()
    assert shown[0] == "device\tDEFAULT/b-dev", shown
    assert [l for l in shown if l.startswith("action\t")] == \
        ["action\t%s\trunning\t0%%\t2.0\trollout 0" % action], shown
    r = nb.ctl("device", "show", "c-dev", check=False)
    assert r.returncode == 1 and "no device c-dev" in r.stderr


def test_software_list_reads_through_the_store(ddi_nb):
    nb, swu, sid = ddi_nb
    data = open(swu, "rb").read()
    rows = json.loads(nb.ctl("software", "list", "--json").stdout)
    assert len(rows) == 1
    compat = rows[0].pop("compat")
    assert rows[0] == {"id": int(sid), "name": "image-2.0.swu", "version": "2.0", "kind": "swu",
                       "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                       "url": ""}, rows
    # board:revision, the revision alone for any board, space-separated
    assert sorted(compat.split(" ")) == ["1.0", "board-a:2.0"], compat
    line = nb.ctl("software", "list").stdout
    assert line.startswith("%s\timage-2.0.swu\t2.0\tswu\t%d\t" % (sid, len(data))), line
