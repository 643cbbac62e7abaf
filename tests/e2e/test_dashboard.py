"""The dashboard's fleet health: running and paused rollouts, recent
failures with the line the device reported, devices not seen for longer
than expected (admin.device_overdue, else three poll intervals), and the
latest operators' actions."""
import re
import time

from test_admin_ddi import adm, poll_action, register, swu, upload  # noqa: F401
from test_ddi import feedback


def section(page, title):
    return page.split("<h2>" + title)[1].split("<h2>")[0]


def test_dashboard_shows_fleet_health(adm):
    nb, b = adm
    page = b.get("/admin/").text
    assert "No rollout is running or paused." in page and "No failed update." in page
    assert "Every device polled in time." in page and "Nothing changed yet." in page
    upload(b, swu(nb, "2.0"))
    for cid in ("h1", "h2", "quiet"):
        register(nb, cid)
    csrf = b.csrf("/admin/rollouts")
    assert b.post("/admin/rollouts", {"csrf": csrf, "name": "first", "feed": "default",
                                      "software": "1"}).status == 303
    assert b.post("/admin/rollouts", {"csrf": csrf, "name": "second", "feed": "default",
                                      "software": "1", "max_failures": "1"}).status == 303
    assert b.post("/admin/rollouts", {"csrf": csrf, "name": "gone", "feed": "default",
                                      "software": "1"}).status == 303
    b.post("/admin/rollouts/3/finish", {"csrf": csrf, "confirm": "yes"})
    b.post("/admin/rollouts/1/pause", {"csrf": csrf})
    a = poll_action(nb, "h1")
    assert feedback(nb, "h1", a, "closed", "failure", ["Installing",
                                                      "ERROR: signature check"]).status == 200
    # a device silent since long before the poll time (00:00:05 here: overdue after the floor of a minute);
    # stopped first, the programs have written their batched last_seen, which cannot land later
    nb.stop()
    with nb.db() as c:
        c.execute("UPDATE ddi_devices SET last_seen=? WHERE controller_id='quiet'",
                  (int(time.time()) - 3600,))
    nb.start()
    b.port = nb.port
    page = b.get("/admin/").text
    roll = section(page, "Rollouts in progress")
    assert 'href="/admin/rollouts/2"' in roll and 'href="/admin/rollouts/1"' in roll
    assert "gone" not in roll                                 # finished: not in progress
    assert "paused by an operator" in roll and "paused itself: 1 failures" in roll
    fail = section(page, "Recent failures")
    assert ">h1</a>" in fail and "ERROR: signature check" in fail
    stale = section(page, "Devices not seen for over 1 min")
    assert re.search(r'<span class="count">1</span>', stale)
    assert ">quiet</a>" in stale and ">h2</a>" not in stale
    audit = section(page, "Operators' actions")
    assert audit.index("rollout pause") < audit.index("rollout finish") < \
        audit.index("rollout create")
    assert '<a class="more" href="/admin/audit">' in page


def test_overdue_setting(make_nb):
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1",
                  "NESTBOX_ADMIN__DEVICE_OVERDUE": "7200"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.ctl("device", "add", "old", "--token", "tok-1")
    with nb.db() as c:
        c.execute("UPDATE ddi_devices SET last_seen=? WHERE controller_id='old'",
                  (int(time.time()) - 3600,))
    nb.start()
    from admin_client import Browser
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    page = b.get("/admin/").text
    assert "Devices not seen for over 2 h" in page
    assert "Every device polled in time." in page              # an hour is not two


def test_fleet_pages_report_an_unreadable_store(adm):
    """A DDI table the store cannot read is a 503 the operator sees, never
    a page that shows an empty fleet as if it were the truth."""
    nb, b = adm
    register(nb, "d1")
    assert b.get("/admin/").status == 200
    assert b.get("/admin/devices/1").status == 200
    with nb.db() as c:
        c.execute("DROP TABLE ddi_device_counts")
        c.execute("DROP TABLE ddi_action_status")
    for path in ("/admin/", "/admin/devices", "/admin/api/devices?counts=1",
                 "/admin/devices/1", "/admin/api/devices/d1"):
        r = b.get(path)
        assert r.status == 503, (path, r.status)
