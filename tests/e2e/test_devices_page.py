"""Finding devices on the admin pages and API: a search over controller id,
name, tags and attributes, substring filters, sortable columns, a pager
with counts, names and tags an operator edits, and bulk actions that ask
first and say how many."""
import json
import re

import pytest

from admin_client import Browser, refusal
from conftest import wait_until
from test_admin_ddi import poll_action, register, swu, token, upload
from test_ddi import BASE, ddi


@pytest.fixture
def fleet(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1", "NESTBOX_ADMIN__PAGE_SIZE": "4"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.start()
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    nb.tmp = tmpdir_shared
    for i in range(9):
        # revision 1.0: what test_admin_ddi's image is for, on any board
        register(nb, "unit-%02d" % i, board="gw-board" if i < 3 else "sensor-v2",
                 rev="1.0" if i < 3 else "2.0", version="1.%d" % i,
                 extra={"site": "hall-%d" % (i % 2)})
    # a poll's last_seen waits in ddi.fcgi's batch until the process is idle
    # (ddi_seen_queue): the tests that compare rows before and after a
    # refused request start once every batch is in the store
    def all_seen():
        with nb.db() as c:
            return c.execute("SELECT count(*) FROM ddi_devices WHERE last_seen = 0"
                             ).fetchone()[0] == 0
    wait_until(all_seen, "the fleet's polls in the store", limit=60)
    return nb, b, token(b)


def cids(b, auth, q):
    r = b.request("GET", "/admin/api/devices?" + q, headers=auth)
    assert r.status == 200, r.text
    j = json.loads(r.body)
    return [d["controller_id"] for d in j["devices"]], j


def page_cids(text):
    return re.findall(r'<a href="/admin/devices/\d+">([^<]+)</a>', text)


def test_search_substrings_and_sort(fleet):
    nb, b, auth = fleet
    nb.ctl("device", "set", "unit-07", "--name", "Front Door", "--tags", "lobby,cam")
    # the search: a substring of the controller id, the name, a tag, an attribute value
    assert cids(b, auth, "q=NIT-0")[1]["total_matching"] == 9
    assert cids(b, auth, "q=door")[0] == ["unit-07"]
    assert cids(b, auth, "q=lobby")[0] == ["unit-07"]
    got, j = cids(b, auth, "q=hall-1")
    assert got == ["unit-01", "unit-03", "unit-05", "unit-07"] and j["total_matching"] == 4
    assert j["devices"][3]["tags"] == ["lobby", "cam"] and j["devices"][3]["name"] == "Front Door"
    # filters take substrings
    assert cids(b, auth, "model=gw")[0] == ["unit-00", "unit-01", "unit-02"]
    assert cids(b, auth, "model=sensor&version=.8")[0] == ["unit-08"]
    assert cids(b, auth, "feed=fau")[1]["total_matching"] == 9
    # sorted by a column, either way
    assert cids(b, auth, "sort=version&dir=desc")[0] == ["unit-08", "unit-07", "unit-06", "unit-05"]
    assert cids(b, auth, "sort=name&dir=desc")[0][0] == "unit-07"
    assert cids(b, auth, "sort=cid&dir=desc&page=3")[0] == ["unit-00"]
    page = b.get("/admin/devices?sort=version&dir=desc").text
    assert page_cids(page) == ["unit-08", "unit-07", "unit-06", "unit-05"]
    assert 'aria-sort="descending"' in page and "Version ▼" in page
    # the header link flips the direction and keeps the search
    page = b.get("/admin/devices?q=hall-1&sort=version").text
    href = re.search(r'<a href="/admin/devices\?([^"]*)">Version', page).group(1)
    assert href.replace("&amp;", "&") == "q=hall-1&sort=version&dir=desc"
    # bad input: a clear 400, for the page and the API
    for q in ("sort=colour", "dir=up", "page=0", "page=x", "q=" + "x" * 256):
        assert b.request("GET", "/admin/api/devices?" + q, headers=auth).status == 400, q
        assert b.get("/admin/devices?" + q).status == 400, q


def test_pager_counts_previous_next(fleet):
    nb, b, auth = fleet
    page = b.get("/admin/devices?model=sensor").text
    assert re.search(r'Showing <b class="range">1–4</b> of <b class="matching">6</b>', page)
    assert 'rel="prev"' not in page
    nxt = re.search(r'rel="next" href="/admin/devices\?([^"]*)"', page).group(1)
    assert nxt.replace("&amp;", "&") == "model=sensor&page=2"
    page = b.get("/admin/devices?model=sensor&page=2").text
    assert re.search(r'Showing <b class="range">5–6</b> of <b class="matching">6</b>', page)
    assert page_cids(page) == ["unit-07", "unit-08"]
    prev = re.search(r'rel="prev" href="/admin/devices\?([^"]*)"', page).group(1)
    assert prev.replace("&amp;", "&") == "model=sensor&page=1" and 'rel="next"' not in page
    assert "No devices match." in b.get("/admin/devices?q=nothing-like-this").text


def test_name_and_tags_edited(fleet):
    nb, b, auth = fleet
    _, j = cids(b, auth, "q=unit-04")
    dev = j["devices"][0]["id"]
    csrf = b.csrf("/admin/devices/%d" % dev)
    r = b.post("/admin/devices/%d/labels" % dev, {"csrf": csrf, "name": "Loading bay",
                                                  "tags": " dock, ,outdoor "})
    assert r.status == 303
    page = b.get("/admin/devices/%d" % dev).text
    assert '<span class="tag">dock</span>' in page and 'value="dock,outdoor"' in page
    assert cids(b, auth, "q=outdoor")[0] == ["unit-04"]
    assert cids(b, auth, "q=loading")[0] == ["unit-04"]
    listed = b.get("/admin/devices?q=dock").text
    assert "Loading bay" in listed and '<span class="tag">outdoor</span>' in listed
    with nb.db() as c:
        before = c.execute("SELECT name, tags FROM ddi_devices WHERE id=?", (dev,)).fetchone()
    assert before == ("Loading bay", "dock,outdoor")
    for bad in ({"name": "x" * 64}, {"tags": "t" * 256}, {"name": "a\x01b"}):
        assert b.post("/admin/devices/%d/labels" % dev, dict(bad, csrf=csrf)).status == 400
    assert b.post("/admin/devices/999/labels", {"csrf": csrf, "name": "n"}).status == 404
    with nb.db() as c:
        assert c.execute("SELECT name, tags FROM ddi_devices WHERE id=?", (dev,)).fetchone() == before


def ids_of(nb, *names):
    with nb.db() as c:
        return [str(c.execute("SELECT id FROM ddi_devices WHERE controller_id=?", (n,)).fetchone()[0])
                for n in names]


def bulk(b, fields, ids):
    body = "&".join(["%s=%s" % kv for kv in fields.items()] + ["id=" + i for i in ids])
    return b.request("POST", "/admin/devices/bulk", body.encode(),
                     {"Content-Type": "application/x-www-form-urlencoded"})


def test_bulk_actions_ask_then_apply(fleet):
    nb, b, auth = fleet
    upload(b, swu(nb, "2.0"))
    csrf = b.csrf("/admin/devices")
    sel = ids_of(nb, "unit-00", "unit-01", "unit-02")
    # first the question, with how many; nothing changes yet
    r = bulk(b, {"csrf": csrf, "action": "feed", "feed": "lab"}, sel)
    assert r.status == 200 and "Set the feed of 3 devices to lab?" in r.text
    assert r.text.count('name="id"') == 3 and 'name="confirm" value="yes"' in r.text
    assert cids(b, auth, "feed=lab")[0] == []
    r = bulk(b, {"csrf": csrf, "action": "feed", "feed": "lab", "confirm": "yes"}, sel)
    assert r.status == 303 and r.header("Location") == "/admin/devices?done=set+the+feed+of+3+devices"
    assert cids(b, auth, "feed=lab")[0] == ["unit-00", "unit-01", "unit-02"]
    r = bulk(b, {"csrf": csrf, "action": "mode", "mode": "pinned", "confirm": "yes"}, sel[:2])
    assert r.status == 303
    r = bulk(b, {"csrf": csrf, "action": "assign", "software": "1", "confirm": "yes"}, sel[2:])
    assert r.status == 303 and "assigned+software+1+to+1+devices" in r.header("Location")
    with nb.db() as c:
        assert c.execute("SELECT controller_id, mode, coalesce(assigned, 0) FROM ddi_devices"
                         " WHERE feed='lab' ORDER BY id").fetchall() == [
            ("unit-00", "pinned", 0), ("unit-01", "pinned", 0), ("unit-02", "assigned", 1)]
    # cancel: the open action of the one that has one
    links = json.loads(ddi(nb, "GET", BASE + "unit-02", token="tok-1").body)["_links"]
    assert "deploymentBase" in links
    r = bulk(b, {"csrf": csrf, "action": "cancel", "confirm": "yes"}, sel)
    assert r.status == 303 and "canceled+the+open+actions+of+1+devices" in r.header("Location")
    with nb.db() as c:
        assert c.execute("SELECT status FROM ddi_actions").fetchall() == [("canceling",)]
    # delete asks "Delete 2 devices?" and only the confirmed post deletes
    r = bulk(b, {"csrf": csrf, "action": "delete"}, sel[:2])
    assert r.status == 200 and "Delete 2 devices?" in r.text and "unit-01" in r.text
    assert cids(b, auth, "")[1]["total_matching"] == 9
    r = bulk(b, {"csrf": csrf, "action": "delete", "confirm": "yes"}, sel[:2])
    assert r.status == 303 and r.header("Location") == "/admin/devices?done=deleted+2+devices"
    assert cids(b, auth, "feed=lab")[0] == ["unit-02"]


def test_bulk_refuses_bad_input_and_changes_nothing(fleet):
    nb, b, auth = fleet
    csrf = b.csrf("/admin/devices")
    sel = ids_of(nb, "unit-03", "unit-04")
    with nb.db() as c:
        before = c.execute("SELECT id, feed, mode FROM ddi_devices ORDER BY id").fetchall()
    cases = [({"action": "explode"}, sel), ({"action": "feed", "feed": ""}, sel),
             ({"action": "feed", "feed": "f" * 64}, sel), ({"action": "mode", "mode": "assigned"}, sel),
             ({"action": "assign"}, sel), ({"action": "assign", "software": "x"}, sel),
             ({"action": "delete"}, []), ({"action": "delete"}, ["abc"])]
    for fields, ids in cases:
        r = bulk(b, dict(fields, csrf=csrf, confirm="yes"), ids)
        assert r.status == 400, (fields, ids, r.status)
    # a device that is gone or software that is not there: nothing of the batch is changed
    r = bulk(b, {"csrf": csrf, "action": "feed", "feed": "x", "confirm": "yes"}, sel + ["999"])
    assert r.status == 404
    r = bulk(b, {"csrf": csrf, "action": "assign", "software": "77", "confirm": "yes"}, sel)
    assert r.status == 404
    # a post without the CSRF token is refused
    assert bulk(b, {"action": "delete", "confirm": "yes"}, sel).status == 403
    with nb.db() as c:
        assert c.execute("SELECT id, feed, mode FROM ddi_devices ORDER BY id").fetchall() == before


def test_bulk_refusal_says_what_is_missing(fleet):
    """A bulk action that lacks what it needs is a 400 whose page says what
    (the message beside the field), and changes nothing."""
    nb, b, auth = fleet
    csrf = b.csrf("/admin/devices")
    sel = ids_of(nb, "unit-03", "unit-04")
    with nb.db() as c:
        before = c.execute("SELECT id, feed, mode FROM ddi_devices ORDER BY id").fetchall()
    for fields, ids, want in [({"action": "assign"}, sel, "assign needs a software from the list"),
                              ({"action": "delete"}, [], "select at least one device")]:
        r = bulk(b, dict(fields, csrf=csrf, confirm="yes"), ids)
        assert r.status == 400 and want in r.text, (fields, r.status, r.text[:400])
    with nb.db() as c:
        assert c.execute("SELECT id, feed, mode FROM ddi_devices ORDER BY id").fetchall() == before


def test_device_input_is_declared(fleet):
    """The device routes refuse malformed input before any handler runs:
    400 naming the field, nothing changed."""
    nb, b, auth = fleet
    dev = int(ids_of(nb, "unit-05")[0])
    csrf = b.csrf("/admin/devices/%d" % dev)
    with nb.db() as c:
        before = c.execute("SELECT * FROM ddi_devices ORDER BY id").fetchall()
    for path in ("/admin/devices/abc", "/admin/devices/0", "/admin/devices/007"):
        r = b.get(path)
        assert r.status == 400 and refusal(r) == "invalid id", path
    for q, field in (("action=abc", "action"), ("action=-1", "action")):
        r = b.get("/admin/devices/%d?%s" % (dev, q))
        assert r.status == 400 and refusal(r) == "invalid %s" % field, q
    posts = [("mode", {"mode": "sideways"}, "invalid mode"),
             ("mode", {"mode": "assigned", "software": "x"}, "invalid software"),
             ("mode", {}, "missing mode"),
             ("feed", {"feed": ""}, "missing feed"),
             ("feed", {"feed": "f" * 64}, "invalid feed: at most 63 bytes"),
             ("feed", {"feed": "a\x01b"}, "invalid feed"),
             ("labels", {"name": "x" * 64}, "invalid name: at most 63 bytes"),
             ("labels", {"tags": "t" * 256}, "invalid tags: at most 255 bytes"),
             ("labels", {"name": "a\x01b"}, "invalid name"),
             ("delete", {"confirm": "perhaps"}, "invalid confirm")]
    for what, fields, msg in posts:
        r = b.post("/admin/devices/%d/%s" % (dev, what), dict(fields, csrf=csrf))
        # a form of the device page comes back on that page, the message
        # beside its field; the delete question's answer is a plain refusal
        shown = ('role="alert">%s</span>' % msg) in r.text if what != "delete" else \
            refusal(r) == msg
        assert r.status == 400 and shown, (what, fields, r.text)
    for what in ("mode", "feed", "labels", "force", "cancel", "delete"):
        r = b.post("/admin/devices/x%d/%s" % (dev, what), {"csrf": csrf, "mode": "latest",
                                                           "feed": "f", "confirm": "yes"})
        assert r.status == 400 and refusal(r) == "invalid id", what
    for path, field in (("/admin/api/devices/a%20b", "cid"),
                        ("/admin/api/devices/%C3%28", "cid"),
                        ("/admin/api/devices/unit-01?tenant=" + "t" * 64, "tenant")):
        r = b.request("GET", path, headers=auth)
        assert r.status == 400 and json.loads(r.body)["error"].startswith("invalid " + field), path
    assert b.request("GET", "/admin/api/devices/unit-01", headers=auth).status == 200
    with nb.db() as c:
        assert c.execute("SELECT * FROM ddi_devices ORDER BY id").fetchall() == before


def test_bulk_input_is_declared(fleet):
    """The bulk form's fields are declared: a malformed one is a 400 naming
    it, each repeated id included, and nothing is changed."""
    nb, b, auth = fleet
    csrf = b.csrf("/admin/devices")
    sel = ids_of(nb, "unit-03", "unit-04")
    with nb.db() as c:
        before = c.execute("SELECT * FROM ddi_devices ORDER BY id").fetchall()
    cases = [({"action": "explode"}, sel, "invalid action"),
             ({}, sel, "missing action"),
             ({"action": "feed", "feed": "f" * 64}, sel, "invalid feed: at most 63 bytes"),
             ({"action": "mode", "mode": "sideways"}, sel, "invalid mode"),
             ({"action": "assign", "software": "x"}, sel, "invalid software"),
             ({"action": "delete", "confirm": "maybe"}, sel, "invalid confirm"),
             ({"action": "delete"}, ["abc"], "invalid id"),
             ({"action": "delete"}, sel + ["0"], "invalid id"),
             ({"action": "delete"}, sel + ["007"], "invalid id")]
    for fields, ids, msg in cases:
        r = bulk(b, dict(fields, csrf=csrf, confirm=fields.get("confirm", "yes")), ids)
        # the repeated ids after the first are checked by the handler: an error page
        assert r.status == 400 and msg in r.text, (fields, ids, r.text)
    with nb.db() as c:
        assert c.execute("SELECT * FROM ddi_devices ORDER BY id").fetchall() == before


def audit_count(nb):
    with nb.db() as c:
        return c.execute("SELECT count(*) FROM admin_audit").fetchone()[0]


def test_a_form_without_its_fields_changes_nothing(fleet):
    """issue 14: a POST with no name and no tags cleared both, and limits
    with no field wrote an audit row; absent keeps, "" still clears."""
    nb, b, auth = fleet
    dev = cids(b, auth, "q=unit-05")[1]["devices"][0]["id"]
    csrf = b.csrf("/admin/devices/%d" % dev)
    act = "/admin/devices/%d/labels" % dev
    assert b.post(act, {"csrf": csrf, "name": "Bay", "tags": "a,b"}).status == 303
    start = audit_count(nb)
    r = b.post(act, {"csrf": csrf})
    assert r.status == 400 and "missing name" in r.text
    assert 'id="labels-name-err" role="alert">missing name' in r.text
    with nb.db() as c:
        assert c.execute("SELECT name, tags FROM ddi_devices WHERE id=?", (dev,)).fetchone() \
            == ("Bay", "a,b")
    # one field given: only that one changes; "" clears
    assert b.post(act, {"csrf": csrf, "tags": "c"}).status == 303
    assert b.post(act, {"csrf": csrf, "name": ""}).status == 303
    with nb.db() as c:
        assert c.execute("SELECT name, tags FROM ddi_devices WHERE id=?", (dev,)).fetchone() \
            == ("", "c")
    assert audit_count(nb) == start + 2
    # a rollout's limits: no field is a 400 beside the field, no audit row
    upload(b, swu(nb, "2.0"))
    r = b.post("/admin/rollouts", {"csrf": csrf, "feed": "stable", "software": "1",
                                   "max_failures": "3", "confirm_empty": "yes"})
    assert r.status == 303, r.text
    start = audit_count(nb)
    r = b.post("/admin/rollouts/1/limits", {"csrf": csrf})
    assert r.status == 400
    assert 'id="limits-max_failures-err" role="alert">missing max_failures' in r.text
    assert audit_count(nb) == start
    with nb.db() as c:
        assert c.execute("SELECT max_failures FROM ddi_rollouts").fetchone() == (3,)
    # the bulk form's mode action without a mode
    r = bulk(b, {"csrf": csrf, "action": "mode", "confirm": "yes"}, [str(dev)])
    assert r.status == 400 and "mode" in r.text
    assert audit_count(nb) == start


def test_bulk_takes_a_full_page_and_counts_each_device_once(fleet):
    """issue 14: past 64 fields a bulk form was "400 malformed form body"
    while admin.page_size allows 1000; a repeated id was counted again."""
    nb, b, auth = fleet
    csrf = b.csrf("/admin/devices")
    for i in range(70):
        nb.ctl("device", "add", "many-%02d" % i, "--feed", "stable")
    with nb.db() as c:
        sel = [str(i) for (i,) in c.execute(
            "SELECT id FROM ddi_devices WHERE controller_id LIKE 'many-%' ORDER BY id")]
    start = audit_count(nb)
    r = bulk(b, {"csrf": csrf, "action": "feed", "feed": "wide"}, sel + sel[:5])
    assert r.status == 200 and "Set the feed of 70 devices to wide?" in r.text, r.text[:300]
    r = bulk(b, {"csrf": csrf, "action": "feed", "feed": "wide", "confirm": "yes"}, sel)
    assert r.status == 303 and r.header("Location") == "/admin/devices?done=set+the+feed+of+70+devices"
    # a full page (admin.page_size at most 1000) of ids with the other fields: read
    r = bulk(b, {"csrf": csrf, "action": "feed", "feed": "x", "confirm": "yes"},
             sel + [str(100000 + i) for i in range(1000 - len(sel))])
    assert r.status == 404, (r.status, r.text[:200])
    # past the bound: refused, saying the bound
    r = bulk(b, {"csrf": csrf, "action": "feed", "feed": "x", "confirm": "yes"},
             [str(100000 + i) for i in range(1100)])
    assert r.status == 400 and "at most 1024 fields" in r.text, r.text[:200]
    # one device three times: one device, said and audited so
    dev = sel[0]
    r = bulk(b, {"csrf": csrf, "action": "feed", "feed": "one"}, [dev] * 3)
    assert r.status == 200 and "Set the feed of 1 device to one?" in r.text
    r = bulk(b, {"csrf": csrf, "action": "feed", "feed": "one", "confirm": "yes"}, [dev] * 3)
    assert r.header("Location") == "/admin/devices?done=set+the+feed+of+1+devices"
    with nb.db() as c:
        rows = c.execute("SELECT target FROM admin_audit ORDER BY id").fetchall()[start:]
    assert rows == [("set feed wide on 70 devices: many-00, many-01, many-02, many-03, many-04,"
                     " …",), ("set feed one on 1 device: many-00",)]


def test_unknown_state_is_refused_like_the_other_filters(fleet):
    """issue 14: ?state=nope answered 200 "No devices match"."""
    nb, b, auth = fleet
    r = b.request("GET", "/admin/api/devices?state=nope", headers=auth)
    assert r.status == 400 and "state" in json.loads(r.body)["error"], r.text
    r = b.get("/admin/devices?state=nope")
    assert r.status == 400 and "invalid state" in r.text, (r.status, r.text[:200])
    assert b.get("/admin/devices?state=registered").status == 200


def test_a_page_past_the_end_shows_the_last_page(fleet):
    """issue 14: page 2 of 30 devices (50 a page) said "Showing 0–50 of 30";
    the other paged lists (admin_paginate) show their last page."""
    nb, b, auth = fleet
    page = b.get("/admin/devices?model=sensor&page=7").text
    assert re.search(r'Showing <b class="range">5–6</b> of <b class="matching">6</b>', page), page
    assert page_cids(page) == ["unit-07", "unit-08"] and 'rel="next"' not in page
    prev = re.search(r'rel="prev" href="/admin/devices\?([^"]*)"', page).group(1)
    assert prev.replace("&amp;", "&") == "model=sensor&page=1"
    assert "No devices match." in b.get("/admin/devices?q=nothing-like-this&page=3").text


def test_the_open_action_is_named_once(fleet):
    """issue 14: "an update is under way (action #13) (action 13)."."""
    nb, b, auth = fleet
    upload(b, swu(nb, "2.0"))
    dev = cids(b, auth, "q=unit-01")[1]["devices"][0]["id"]
    csrf = b.csrf("/admin/devices/%d" % dev)
    assert b.post("/admin/devices/%d/mode" % dev, {"csrf": csrf, "mode": "assigned",
                                                   "software": "1"}).status == 303
    action = poll_action(nb, "unit-01")
    page = b.get("/admin/devices/%d" % dev).text
    said = re.sub(r"<[^>]+>", "", re.search(r"Update decision:(.*?)</p>", page, re.S).group(1))
    assert " ".join(said.split()) == \
        "an update is under way (action #%s) — candidate 2.0." % action, said


def test_search_folds_unicode_case(fleet):
    """issue 14: "ÄPFEL" did not find "äpfel" (ASCII case folding only);
    on both stores every search field folds by Unicode."""
    from urllib.parse import quote
    nb, b, auth = fleet
    nb.ctl("device", "set", "unit-02", "--name", "Äpfel-Lager", "--tags", "Küche")
    nb.ctl("device", "set", "unit-04", "--name", "ΑΘΉΝΑ")
    register(nb, "heat-1", board="Pümpe-Ω", extra={"kind": "Wärmepumpe"})
    for q, want in (("ÄPFEL", ["unit-02"]), ("äpfel", ["unit-02"]), ("äPfEl", ["unit-02"]),
                    ("KÜCHE", ["unit-02"]), ("αθήνα", ["unit-04"]), ("WÄRME", ["heat-1"])):
        got, j = cids(b, auth, "q=" + quote(q))
        assert (got, j["total_matching"]) == (want, len(want)), q
    assert cids(b, auth, "model=" + quote("PÜMPE-ω"))[0] == ["heat-1"]
    assert page_cids(b.get("/admin/devices?q=" + quote("äPFEL")).text) == ["unit-02"]
