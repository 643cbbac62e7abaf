"""nestboxctl finds devices as the devices page does (search, filters,
sort, pages), acts on them with the page's bulk actions after a
confirmation, says "unchanged" when nothing changed, and never lets stored
text drive the terminal (issue 14, items 1, 7)."""
import json
import os
import subprocess

import pytest

from conftest import CTL
from test_cli import on_terminal
from test_devices_page import bulk, cids, fleet, ids_of  # noqa: F401 (fleet: a fixture)
from test_software import make_swu


def twelve(nb):
    """Twelve devices: kiosk-01..08 on feed stable, lab-01..04 on beta."""
    nb.ctl("init")
    for i in range(1, 9):
        nb.ctl("device", "add", "kiosk-%02d" % i, "--feed", "stable")
    for i in range(1, 5):
        nb.ctl("device", "add", "lab-%02d" % i, "--feed", "beta")
    nb.ctl("device", "set", "kiosk-03", "--name", "Lobby screen", "--tags", "floor2,north")
    nb.ctl("device", "set", "lab-02", "--tags", "bench")
    with nb.db() as c:
        c.execute("UPDATE ddi_devices SET attributes=? WHERE controller_id='lab-04'",
                  (json.dumps({"hwRevision": "rev-B7", "serial": "SN-778"}),))
        c.execute("UPDATE ddi_devices SET hw_model='imx8-mini', sw_version='2.1.0',"
                  " last_seen=strftime('%s','now') - 100 WHERE controller_id LIKE 'lab-%'"
                  if not nb.pg_url else
                  "UPDATE ddi_devices SET hw_model='imx8-mini', sw_version='2.1.0',"
                  " last_seen=extract(epoch from now())::bigint - 100"
                  " WHERE controller_id LIKE 'lab-%'")


def listed(nb, *args):
    return [d["controller_id"] for d in json.loads(nb.ctl("device", "list", *args,
                                                          "--json").stdout)]


@pytest.mark.parametrize("q,want", [
    ("KIOSK-0", ["kiosk-%02d" % i for i in range(1, 9)]),     # controller id, any case
    ("lobby", ["kiosk-03"]),                                   # name
    ("floor2", ["kiosk-03"]),                                  # tags
    ("bench", ["lab-02"]),
    ("SN-77", ["lab-04"]),                                     # attributes
    ("nothing-like-it", []),
])
def test_device_list_searches_as_the_page(nb, q, want):
    twelve(nb)
    assert listed(nb, "--search", q) == want


def test_device_list_filters_take_substrings_as_the_page(nb):
    twelve(nb)
    labs = ["lab-%02d" % i for i in range(1, 5)]
    assert listed(nb, "--feed", "ET") == labs                 # "beta" contains "et"
    assert listed(nb, "--model", "imx8") == labs
    assert listed(nb, "--version", "2.1") == labs
    assert listed(nb, "--seen", "hour") == labs
    assert listed(nb, "--seen", "never") == ["kiosk-%02d" % i for i in range(1, 9)]
    assert listed(nb, "--state", "registered", "--feed", "stab", "--search", "lobby") == \
        ["kiosk-03"]
    assert listed(nb, "--state", "error") == []


def test_device_list_sorts_by_the_pages_columns(nb):
    twelve(nb)
    everyone = listed(nb)
    assert everyone == sorted(everyone)                       # by controller id, as before
    assert listed(nb, "--sort", "cid", "--desc") == sorted(everyone, reverse=True)
    assert listed(nb, "--sort", "feed")[:4] == ["lab-%02d" % i for i in range(1, 5)]
    assert listed(nb, "--sort", "name", "--desc")[0] == "kiosk-03"
    # ties by id, reversed too when descending, as on the page
    assert listed(nb, "--sort", "seen", "--desc")[:4] == ["lab-%02d" % i for i in (4, 3, 2, 1)]


def test_device_list_pages_and_says_how_many(nb):
    twelve(nb)
    r = nb.ctl("device", "list", "--page", "2", "--limit", "5")
    assert [l.split("\t")[0] for l in r.stdout.splitlines()] == \
        ["kiosk-06", "kiosk-07", "kiosk-08", "lab-01", "lab-02"]
    assert r.stderr == "showing 6\u201310 of 12\n"
    r = nb.ctl("device", "list", "--page", "3", "--limit", "5", "--json")
    assert [d["controller_id"] for d in json.loads(r.stdout)] == ["lab-03", "lab-04"]
    assert r.stderr == "showing 11\u201312 of 12\n"
    r = nb.ctl("device", "list", "--page", "9", "--limit", "5")
    assert r.stdout == "" and "page 9 is past the last (3)" in r.stderr
    # unpaged and piped: the lines alone, as scripts read them
    assert nb.ctl("device", "list").stderr == ""
    table = on_terminal(nb, "device", "list", "--search", "lab").splitlines()
    assert table[0].split()[:2] == ["DEVICE", "STATE"] and len(table) == 6, table
    assert table[-1] == "showing 1\u20134 of 4"


@pytest.mark.parametrize("args,why", [
    (["--sort", "colour"], "--sort is id, cid, name, state, version, model, feed, mode or seen,"
                           " not 'colour'"),
    (["--state", "broken"], "--state is registered, waiting, running, finished or error"),
    (["--seen", "week"], "--seen is hour, day, old or never, not 'week'"),
    (["--page", "0"], "--page must be a whole number from 1"),
    (["--limit", "many"], "--limit must be a whole number from 1 to 100000"),
    (["--search"], "--search needs a value"),
    (["--bogus"], "unknown option '--bogus'"),
    (["--desc", "x"], "unexpected argument 'x'"),
])
def test_device_list_usage_errors(nb, args, why):
    nb.ctl("init")
    r = nb.ctl("device", "list", *args, check=False)
    assert r.returncode == 2, r
    assert why in r.stderr, r.stderr
    assert "usage: nestboxctl device list" in r.stderr and r.stdout == ""


def test_device_list_refuses_a_control_character_in_a_filter(nb):
    nb.ctl("init")
    r = nb.ctl("device", "list", "--search", "a\x1bb", check=False)
    assert r.returncode == 1 and "invalid search: no control characters" in r.stderr, r


def feeds(nb):
    with nb.db() as c:
        return dict(c.execute("SELECT controller_id, feed FROM ddi_devices").fetchall())


def audit_rows(nb):
    with nb.db() as c:
        return c.execute("SELECT action, target, via FROM admin_audit ORDER BY id").fetchall()


def test_bulk_asks_for_yes_then_does_it_once_with_the_pages_audit_row(nb):
    twelve(nb)
    before, audited = feeds(nb), len(audit_rows(nb))
    r = nb.ctl("device", "bulk", "feed", "canary", "--search", "lab", check=False)
    assert r.returncode == 2, r
    assert "would change 4 devices; add --yes" in r.stderr, r.stderr
    assert r.stdout.splitlines() == ["would set the feed of 4 devices to canary:"] + \
        ["  lab-%02d" % i for i in range(1, 5)]
    assert feeds(nb) == before and len(audit_rows(nb)) == audited
    r = nb.ctl("device", "bulk", "feed", "canary", "--search", "lab", "--yes")
    assert r.stdout.splitlines()[0] == "set the feed of 4 devices to canary:", r.stdout
    after = feeds(nb)
    assert [k for k in after if after[k] == "canary"] == ["lab-%02d" % i for i in range(1, 5)]
    assert audit_rows(nb)[-1] == ("devices feed", "set feed canary on 4 devices: lab-01, lab-02,"
                                  " lab-03, lab-04", "cli")
    # again: nothing would change, so nothing is asked, done or audited
    r = nb.ctl("device", "bulk", "feed", "canary", "--search", "lab")
    assert r.stdout == "unchanged: none of the 4 selected devices would change\n"
    assert len(audit_rows(nb)) == audited + 1


def test_bulk_by_id_leaves_out_what_it_would_not_change(nb, tmpdir_shared):
    twelve(nb)
    nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "s"), "1.0"))
    nb.ctl("device", "set", "kiosk-02", "--mode", "latest")
    r = nb.ctl("device", "bulk", "mode", "latest", "--id", "kiosk-01", "--id", "kiosk-02",
               "--id", "kiosk-01", "--yes")
    assert r.stdout == "set the mode of 1 device to latest:\n  kiosk-01\n", r.stdout
    assert audit_rows(nb)[-1] == ("devices mode", "set mode latest on 1 device: kiosk-01", "cli")
    r = nb.ctl("device", "bulk", "assign", "1", "--state", "registered", "--feed", "beta",
               "--yes")
    assert r.stdout.startswith("assigned software 1 to 4 devices:\n"), r.stdout
    assert audit_rows(nb)[-1] == ("devices assign", "assign software 1 (image-1.0.swu 1.0) to 4"
                                  " devices: lab-01, lab-02, lab-03, lab-04", "cli")
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_devices WHERE mode='assigned'"
                         " AND assigned=1").fetchone()[0] == 4
    r = nb.ctl("device", "bulk", "cancel", "--search", "kiosk")
    assert r.stdout.startswith("unchanged: none of the 8 selected"), r.stdout
    r = nb.ctl("device", "bulk", "delete", "--id", "lab-01", "--id", "lab-02", "--yes")
    assert r.stdout == "deleted 2 devices:\n  lab-01\n  lab-02\n"
    assert "lab-01" not in feeds(nb) and "lab-03" in feeds(nb)


def test_bulk_with_an_unknown_device_changes_nothing(nb):
    twelve(nb)
    before = feeds(nb)
    r = nb.ctl("device", "bulk", "feed", "x", "--id", "kiosk-01", "--id", "ghost", "--yes",
               check=False)
    assert r.returncode == 1 and "no device ghost" in r.stderr, r
    assert feeds(nb) == before


@pytest.mark.parametrize("args,why", [
    ([], "needs an action"),
    (["reboot", "--id", "d"], "the action is assign, feed, mode, cancel or delete, not 'reboot'"),
    (["feed", "--id", "d"], "feed needs a feed"),
    (["assign", "--id", "d"], "assign needs a software id"),
    (["assign", "x", "--id", "d"], "the software id must be a whole number"),
    (["mode", "sometimes", "--id", "d"], "the mode is rollout, latest or pinned, not 'sometimes'"),
    (["mode", "assigned", "--id", "d"], "device bulk assign SOFTWARE_ID"),
    (["cancel", "now", "--id", "d"], "unexpected argument 'now'"),
    (["delete"], "needs the devices: --id CID"),
    (["delete", "--id", "d", "--search", "x"], "--id or a search, not both"),
    (["delete", "--state", "gone"], "--state is registered, waiting"),
    (["delete", "--id", "d", "--yes", "--yes"], "--yes given more than once"),
    (["delete", "--bogus"], "unknown option '--bogus'"),
])
def test_bulk_usage_errors(nb, args, why):
    nb.ctl("init")
    nb.ctl("device", "add", "d")
    r = nb.ctl("device", "bulk", *args, check=False)
    assert r.returncode == 2, r
    assert why in r.stderr, r.stderr
    assert "usage: nestboxctl device bulk" in r.stderr and r.stdout == ""
    with nb.db() as c:
        assert c.execute("SELECT controller_id, feed, mode FROM ddi_devices").fetchall() == \
            [("d", "default", "rollout")]


def test_a_change_to_what_is_there_already_says_unchanged(nb, tmpdir_shared):
    """The store's UPDATE matches a row whatever its values: "changed" was
    said (and audited) when nothing changed (issue 14)."""
    nb.ctl("init")
    nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "s"), "1.0"))
    nb.ctl("device", "add", "d1", "--feed", "beta")
    nb.ctl("device", "set", "d1", "--name", "kiosk", "--tags", "a,b")
    audited = len(audit_rows(nb))
    for args in (["--name", "kiosk"], ["--tags", "a,b"], ["--feed", "beta"],
                 ["--mode", "rollout"], ["--name", "kiosk", "--feed", "beta"]):
        r = nb.ctl("device", "set", "d1", *args)
        assert r.stdout == "unchanged device d1: it has that already\n", (args, r.stdout)
    assert len(audit_rows(nb)) == audited
    r = nb.ctl("device", "set", "d1", "--name", "kiosk", "--feed", "gamma")
    assert r.stdout == "changed device d1: feed gamma\n", r.stdout
    for args, first in ((["--assign", "1"], "mode assigned (software 1)"),
                        (["--force"], "offered again")):
        assert nb.ctl("device", "set", "d1", *args).stdout == "changed device d1: %s\n" % first
        assert nb.ctl("device", "set", "d1", *args).stdout.startswith("unchanged device d1")
    assert [a for a, _, _ in audit_rows(nb)[audited:]] == ["device set"] * 3


def test_rollout_ota_and_pypi_changes_that_change_nothing_say_unchanged(nb, tmpdir_shared):
    nb.ctl("init")
    nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "s"), "1.0"))
    nb.ctl("rollout", "add", "--feed", "beta", "--software", "1", "--confirm-empty")
    audited = len(audit_rows(nb))
    twice = [
        (["rollout", "pause", "1"], "rollout 1 paused\n",
         "unchanged rollout 1: it is paused already\n"),
        (["rollout", "resume", "1"], "rollout 1 running\n",
         "unchanged rollout 1: it is running already\n"),
        (["rollout", "stage", "1", "30"], "rollout 1 offered to 30% of feed beta\n",
         "unchanged rollout 1: it is offered to 30% of feed beta already\n"),
        (["rollout", "limits", "1", "--max-failures", "4"],
         "rollout 1 pauses at 4 failures or above ",
         "unchanged rollout 1: it pauses at 4 failures or above "),
        (["ota", "repo", "--repo", "acme/app"], "created acme/app public\n",
         "unchanged acme/app: public already\n"),
        (["ota", "repo", "--repo", "acme/app", "--private"], "made acme/app private\n",
         "unchanged acme/app: private already\n"),
    ]
    for args, done, same in twice:
        assert nb.ctl(*args).stdout.startswith(done), args
        assert nb.ctl(*args).stdout.startswith(same), args
    assert nb.ctl("ota", "key", "--repo", "acme/app", "--remove").stdout == \
        "unchanged acme/app: its manifests are not signed\n"
    subprocess.run([CTL, "pypi", "user", "add", "ops"], env=nb.env, input="pw-123456\n",
                   text=True, check=True, capture_output=True)
    nb.ctl("pypi", "index", "create", "ops/dev")
    audited = len(audit_rows(nb))
    assert nb.ctl("pypi", "index", "modify", "ops/dev", "title=Dev").stdout == \
        "modified ops/dev\n"
    assert nb.ctl("pypi", "index", "modify", "ops/dev", "title=Dev").stdout == \
        "unchanged ops/dev: its configuration is so already\n"
    assert len(audit_rows(nb)) == audited + 1


# what a terminal obeys or lays out instead of showing, as stored text may carry it
HOSTILE = [
    ("csi-c1", "a\u009b31mb", "a?31mb"),            # CSI as a UTF-8 C1 control
    ("bidi", "ab\u202ecd\u2066e", "ab?cd?e"),        # right-to-left override, isolate
    ("line-sep", "a\u2028b", "a?b"),
    ("esc", "a\x1b[2Jb", "a?[2Jb"),
]


@pytest.mark.parametrize("what,stored,shown", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_lists_show_control_characters_never_obey_them(nb, tmpdir_shared, what, stored, shown):
    nb.ctl("init")
    nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "s"), "1.0"))
    nb.ctl("device", "add", "d1")
    with nb.db() as c:
        c.execute("UPDATE ddi_software SET name=?", ("K\u00fcche " + stored,))
        c.execute("UPDATE ddi_devices SET sw_version=?, hw_model=?", (stored, stored))
    piped = nb.ctl("software", "list").stdout
    assert piped.split("\t")[1] == "K\u00fcche " + shown, piped   # other UTF-8 kept
    assert nb.ctl("device", "list").stdout.split("\t")[2] == shown
    table = on_terminal(nb, "device", "list")
    assert "%s  " % shown in table and stored not in table, table
    assert "version\t%s\n" % shown in nb.ctl("device", "show", "d1").stdout
    # --json keeps the text exact, for scripts
    assert json.loads(nb.ctl("software", "list", "--json").stdout)[0]["name"] == \
        "K\u00fcche " + stored
    assert json.loads(nb.ctl("device", "list", "--json").stdout)[0]["version"] == stored
    # what a command says it changed names the stored text the same way
    assert nb.ctl("software", "del", "1").stdout.startswith(
        "deleted software 1: K\u00fcche %s 1.0 (" % shown)


def test_bytes_that_are_not_utf8_are_shown_as_question_marks(nb):
    """0x9b alone is CSI to an 8-bit terminal (stored by an older nestbox,
    or through SQLite directly; PostgreSQL refuses such text)."""
    if nb.pg_url:
        pytest.skip("PostgreSQL stores only valid UTF-8")
    nb.ctl("init")
    nb.ctl("device", "add", "d1")
    with nb.db() as c:
        c.execute("UPDATE ddi_devices SET sw_version=CAST(? AS TEXT)",
                  (b"1.0\x9b31m\xc3(\xe2\x82ok",))
    r = subprocess.run([CTL, "device", "list"], env=nb.env, capture_output=True)
    assert r.stdout.split(b"\t")[2] == b"1.0?31m?(??ok", r.stdout


@pytest.mark.parametrize("q", ["q=unit-0", "q=HALL-1", "feed=def&model=sensor",
                               "version=1.&sort=version&dir=desc", "state=registered&sort=seen"])
def test_device_list_finds_what_the_admin_api_finds(fleet, q):
    """Devices that polled and sent attributes: the CLI's options are the
    page's query fields, and the answer is the same."""
    nb, b, auth = fleet
    api, _ = cids(b, auth, q)
    args = []
    for k, v in (kv.split("=") for kv in q.split("&")):
        args += {"q": ["--search", v], "dir": ["--desc"] if v == "desc" else []}.get(
            k, ["--" + k, v])
    if "sort=" not in q:
        args += ["--sort", "id"]    # the page's default; the CLI's is the controller id
    assert listed(nb, *args, "--limit", "4") == api, args


def test_bulk_writes_the_row_the_pages_bulk_form_writes(fleet):
    nb, b, _ = fleet
    csrf = b.csrf("/admin/devices")
    assert bulk(b, {"csrf": csrf, "action": "feed", "feed": "north", "confirm": "1"},
                ids_of(nb, "unit-00", "unit-01")).status == 303
    nb.ctl("device", "bulk", "feed", "south", "--id", "unit-02", "--id", "unit-03", "--yes")
    with nb.db() as c:
        rows = c.execute("SELECT via, action, target FROM admin_audit"
                         " WHERE action LIKE 'devices %' ORDER BY id").fetchall()
    assert rows == [("page", "devices feed", "set feed north on 2 devices: unit-00, unit-01"),
                    ("cli", "devices feed", "set feed south on 2 devices: unit-02, unit-03")], rows
