"""nestboxctl as an operator meets it: a group's usage, usage errors that say
what is wrong, unknown options refused, lists with a header row and readable
times on a terminal, --json for scripts, and every change said."""
import json
import os
import pty
import subprocess
import time

import pytest

from conftest import CTL, make_raw_image
from test_software import make_swu

GROUPS = {
    "image": ["import", "list"],
    "software": ["add", "list", "del"],
    "device": ["add", "list", "bulk", "show", "set", "cancel", "del"],
    "rollout": ["add", "list", "show", "pause", "resume", "stage", "limits", "cancel", "finish"],
    "user": ["add", "passwd", "del", "token", "list", "first-admin"],
    "mip": ["publish", "list"],
    "ota": ["publish", "push", "repo", "token", "key", "list"],
}


def on_terminal(nb, *args):
    """Runs nestboxctl with its standard output on a pseudo-terminal."""
    master, slave = pty.openpty()
    p = subprocess.Popen([CTL, *args], env=nb.env, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:     # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    err = p.stderr.read().decode()
    p.wait()
    os.close(master)
    assert p.returncode == 0, err
    return out.decode().replace("\r\n", "\n")


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_group_alone_and_group_help_print_its_usage(nb, group):
    r = nb.ctl(group, check=False)
    assert r.returncode == 2, r
    assert r.stderr.startswith("usage: nestboxctl %s <command>" % group), r.stderr
    helped = nb.ctl(group, "--help")
    assert helped.stdout.startswith("usage: nestboxctl %s <command>" % group)
    for sub in GROUPS[group]:
        assert "nestboxctl %s %s" % (group, sub) in r.stderr
        assert "nestboxctl %s %s" % (group, sub) in helped.stdout
        out = nb.ctl(group, sub, "--help").stdout
        assert out.startswith("usage: nestboxctl %s %s" % (group, sub)), out
    # the whole list names every group and its commands
    top = nb.ctl("--help").stdout
    assert all("nestboxctl %s %s" % (group, s) in top for s in GROUPS[group])


def test_unknown_command_of_a_group(nb):
    r = nb.ctl("image", "frobnicate", check=False)
    assert r.returncode == 2
    assert "nestboxctl: unknown image command 'frobnicate'" in r.stderr
    assert "nestboxctl image import" in r.stderr


@pytest.mark.parametrize("args", [
    ["init", "--bogus"], ["config", "--bogus"], ["gc", "--bogus"], ["init", "extra"],
    ["image", "list", "--bogus"], ["image", "import", "x.img", "--box", "b", "--board", "x",
                                   "--bogus"],
    ["software", "list", "--bogus"], ["software", "del", "1", "--bogus"],
    ["software", "add", "x.swu", "--bogus"],
    ["user", "list", "--bogus"], ["user", "add", "ops", "--bogus"], ["user", "del", "--bogus", "ops"],
    ["user", "passwd", "ops", "--bogus"], ["user", "first-admin", "--bogus"],
    ["mip", "list", "--bogus"], ["mip", "publish", "d", "--name", "n", "--version", "1", "--bogus"],
    ["ota", "list", "--bogus"], ["ota", "repo", "--repo", "a/b", "--bogus"],
    ["ota", "token", "--repo", "a/b", "--bogus"],
    ["device", "list", "--bogus"], ["device", "add", "d1", "--bogus"],
    ["device", "show", "d1", "--bogus"], ["device", "set", "d1", "--bogus"],
    ["device", "cancel", "d1", "--bogus"], ["device", "del", "--bogus", "d1"],
    ["rollout", "list", "--bogus"], ["rollout", "add", "--feed", "f", "--software", "1", "--bogus"],
    ["rollout", "show", "1", "--bogus"], ["rollout", "pause", "1", "--bogus"],
    ["rollout", "resume", "1", "--bogus"], ["rollout", "stage", "1", "50", "--bogus"],
    ["rollout", "cancel", "1", "--bogus"], ["rollout", "finish", "1", "--bogus"],
    ["rollout", "limits", "1", "--max-failures", "2", "--bogus"],
])
def test_unknown_options_are_refused_by_name(nb, args):
    nb.ctl("init")
    r = nb.ctl(*args, check=False)
    bad = [a for a in args if a.startswith("--bogus") or a == "extra"][0]
    assert r.returncode == 2, (args, r.stdout, r.stderr)
    assert "'%s'" % bad in r.stderr, r.stderr
    cmd = " ".join(args[:2] if args[0] not in ("init", "config", "gc") else args[:1])
    assert "usage: nestboxctl " + cmd in r.stderr, r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("args,why", [
    (["gc", "--grace", "abc"], "--grace must be a whole number"),
    (["gc", "--grace", "-5"], "--grace must be a whole number"),
    (["image", "import", "x.img", "--box", "b"], "needs --board"),
    (["image", "import", "--box", "b", "--board", "x"], "needs the image file"),
    (["image", "import", "x.img", "--box"], "--box needs a value"),
    (["image", "import", "x.img", "--box", "b", "--board", "x", "--level", "fast"],
     "--level must be a whole number"),
    (["image", "list", "a", "b"], "unexpected argument 'b'"),
    (["software", "del", "abc"], "software id must be a whole number"),
    (["software", "del"], "needs the software id"),
    (["software", "add"], "needs a file or --url"),
    (["user", "add"], "needs the user name"),
    (["user", "add", "ops", "--role", "root"], "--role is admin or readonly"),
    (["mip", "publish", "d", "--name", "n"], "needs --version"),
    (["ota", "publish", "--repo", "a/b", "--tag", "v1"], "needs a source"),
    (["ota", "repo"], "needs --repo"),
    (["device", "list", "x"], "unexpected argument 'x'"),
    (["device", "add"], "needs the controller id"),
    (["device", "add", "d1", "--mode", "assigned"], "--mode assigned needs --assign"),
    (["device", "add", "d1", "--assign", "x"], "--assign must be a whole number"),
    (["device", "set"], "needs the controller id"),
    (["device", "show"], "needs the controller id"),
    (["device", "show", "a", "b"], "unexpected argument 'b'"),
    (["device", "cancel"], "needs the controller id"),
    (["device", "del", "a", "b"], "unexpected argument 'b'"),
    (["rollout", "list", "x"], "unexpected argument 'x'"),
    (["rollout", "add", "--software", "1"], "needs --feed"),
    (["rollout", "add", "--feed", "f"], "needs --software"),
    (["rollout", "add", "--feed", "f", "--software", "x"], "--software must be a whole number"),
    (["rollout", "add", "--feed", "f", "--software", "1", "--percent", "0"],
     "--percent must be a whole number from 1 to 100"),
    (["rollout", "pause", "x"], "rollout id must be a whole number"),
    (["rollout", "show"], "needs the rollout id"),
    (["rollout", "stage", "1"], "needs the rollout id and the percent"),
    (["rollout", "stage", "1", "200"], "percent must be a whole number from 1 to 100"),
    (["rollout", "limits", "1"], "needs --max-failures or --max-failure-rate"),
    (["rollout", "limits", "1", "--max-failure-rate", "101"],
     "--max-failure-rate must be a whole number from 0 to 100"),
    (["rollout", "cancel", "1", "2"], "unexpected argument '2'"),
])
def test_usage_errors_say_what_is_wrong(nb, args, why):
    nb.ctl("init")
    r = nb.ctl(*args, check=False)
    assert r.returncode == 2, (args, r.stderr)
    assert why in r.stderr, r.stderr
    assert "usage: nestboxctl " in r.stderr


@pytest.mark.parametrize("cmd", ["add", "set"])
def test_an_unknown_device_mode_is_refused_by_name(nb, cmd):
    nb.ctl("init")
    nb.ctl("device", "add", "d0")
    r = nb.ctl("device", cmd, "d0" if cmd == "set" else "d1", "--mode", "sometimes", check=False)
    # issue 14: a usage error (exit 2), said once
    assert r.returncode == 2, r
    assert r.stderr.count("--mode is rollout, latest, assigned or pinned, not 'sometimes'") == 1
    with nb.db() as c:
        assert c.execute("SELECT controller_id, mode FROM ddi_devices").fetchall() == \
            [("d0", "rollout")]


def populate(nb, tmp):
    """An installation with one of everything the lists show."""
    nb.ctl("init")
    raw = make_raw_image(os.path.join(tmp, "r.img"), size=1 << 20)
    nb.import_image(raw, "bb", "pc", None, "3")
    subprocess.run([CTL, "user", "add", "ops", "--role", "readonly"], env=nb.env,
                   input="ops-password-1\n", text=True, check=True, capture_output=True)
    pkg = os.path.join(tmp, "pkg")
    os.makedirs(pkg)
    with open(os.path.join(pkg, "helper.py"), "w") as f:
        f.write("X = 1\n")
    nb.ctl("mip", "publish", pkg, "--name", "helper", "--version", "0.3")
    swu = make_swu(os.path.join(tmp, "s"), "1.0")
    nb.ctl("software", "add", swu)
    nb.ctl("ota", "repo", "--repo", "acme/app")
    nb.ctl("device", "add", "dev-1", "--feed", "stable")
    nb.ctl("rollout", "add", "--feed", "stable", "--software", "1", "--percent", "50")


LIST_KEYS = {
    ("image", "list"): {"image", "build_id", "size", "built", "sha256"},
    ("software", "list"): {"id", "name", "version", "kind", "size", "sha256", "url", "compat"},
    ("user", "list"): {"name", "role", "created"},
    ("mip", "list"): {"name", "version", "files", "size", "published", "description"},
    ("ota", "list"): {"repo", "access", "signed", "tag", "commit", "manifest", "published"},
    ("device", "list"): {"controller_id", "state", "version", "mode", "board", "last_seen",
                         "tenant", "feed", "name", "tags"},
    ("rollout", "list"): {"id", "state", "feed", "version", "percent", "succeeded", "failed",
                          "open", "pause_reason", "name", "created"},
}


@pytest.mark.parametrize("cmd", sorted(LIST_KEYS))
def test_lists_give_json_for_scripts(nb, tmpdir_shared, cmd):
    populate(nb, tmpdir_shared)
    rows = json.loads(nb.ctl(*cmd, "--json").stdout)
    assert isinstance(rows, list) and len(rows) == 1, rows
    assert set(rows[0]) == LIST_KEYS[cmd], rows[0]
    for k in ("size", "files", "id", "percent", "failed"):
        if k in rows[0]:
            assert isinstance(rows[0][k], int)
    for k in ("built", "created", "published"):
        if k in rows[0] and rows[0][k] is not None:
            assert abs(rows[0][k] - time.time()) < 3600


def test_json_of_an_empty_list_is_an_empty_array(nb):
    nb.ctl("init")
    for cmd in LIST_KEYS:
        assert json.loads(nb.ctl(*cmd, "--json").stdout) == [], cmd


def test_lists_on_a_terminal_have_a_header_and_readable_times(nb, tmpdir_shared):
    populate(nb, tmpdir_shared)
    three_days = time.time() - 3 * 86400 - 60
    for name in os.listdir(os.path.join(nb.images, "bb")):
        os.utime(os.path.join(nb.images, "bb", name), (three_days, three_days))
    day = time.strftime("%Y-%m-%d", time.gmtime(three_days))
    lines = on_terminal(nb, "image", "list").splitlines()
    assert lines[0].split() == ["IMAGE", "BUILD", "ID", "SIZE", "BUILT"], lines
    assert lines[1].startswith("bb/bb-pc-3 ")
    assert "3 days ago (%s " % day in lines[1] and "UTC)" in lines[1], lines[1]
    assert " 1.0 MiB " in lines[1]      # the raw image's size
    users = on_terminal(nb, "user", "list").splitlines()
    assert users[0].split() == ["NAME", "ROLE", "CREATED"]
    assert users[1].split()[:3] == ["ops", "readonly", "just"], users
    soft = on_terminal(nb, "software", "list").splitlines()
    assert soft[0].split()[:4] == ["ID", "NAME", "VERSION", "KIND"], soft
    mip = on_terminal(nb, "mip", "list").splitlines()
    assert mip[0].split()[:4] == ["NAME", "VERSION", "FILES", "SIZE"], mip
    ota = on_terminal(nb, "ota", "list").splitlines()
    assert ota[0].split()[:2] == ["REPOSITORY", "ACCESS"], ota
    assert ota[1].split()[:2] == ["acme/app", "public"], ota
    devs = on_terminal(nb, "device", "list").splitlines()
    assert devs[0].split()[:5] == ["DEVICE", "STATE", "VERSION", "MODE", "BOARD"], devs
    assert devs[1].split()[0] == "dev-1" and "never" in devs[1], devs
    outs = on_terminal(nb, "rollout", "list").splitlines()
    assert outs[0].split()[:4] == ["ID", "STATE", "FEED", "VERSION"], outs
    assert outs[0].split()[4:6] == ["SHARE", "%"], outs
    assert outs[1].split()[:5] == ["1", "running", "stable", "1.0", "50"], outs


def test_piped_lists_keep_their_lines(nb, tmpdir_shared):
    """What scripts parsed before --json existed stays as it was."""
    populate(nb, tmpdir_shared)
    assert nb.ctl("user", "list").stdout == "ops\treadonly\n"
    assert nb.ctl("image", "list").stdout.startswith("bb/bb-pc-3\t")
    assert nb.ctl("mip", "list").stdout.startswith("helper\t0.3\t1 files\t")
    assert nb.ctl("software", "list").stdout.startswith("1\t")
    # last_seen as the other lists' times (never seen: "never"), no longer epoch seconds
    assert nb.ctl("device", "list").stdout == "dev-1\tregistered\t\trollout\t:\tnever\n"
    assert nb.ctl("rollout", "list").stdout.startswith("1\trunning\tstable\t1.0\t50%\t0\t0\t")


def test_a_terminal_is_not_driven_by_stored_text(nb, tmpdir_shared):
    """A name with an escape sequence is shown, not obeyed (stored by an
    older nestbox: the CLI now refuses it as the web forms do)."""
    nb.ctl("init")
    swu = make_swu(os.path.join(tmpdir_shared, "s"), "1.0")
    r = nb.ctl("software", "add", swu, "--name", "evil\x1b]0;owned\x07name", check=False)
    assert r.returncode != 0 and "invalid name" in r.stderr
    nb.ctl("software", "add", swu, "--name", "evil")
    with nb.db() as c:
        c.execute("UPDATE ddi_software SET name=?", ("evil\x1b]0;owned\x07name",))
    shown = on_terminal(nb, "software", "list")
    assert "\x1b" not in shown and "\x07" not in shown
    assert "evil?]0;owned?name" in shown
    assert json.loads(nb.ctl("software", "list", "--json").stdout)[0]["name"] == \
        "evil\x1b]0;owned\x07name"


def test_changes_are_said(nb, tmpdir_shared):
    nb.ctl("init")
    raw = make_raw_image(os.path.join(tmpdir_shared, "r.img"), size=65536)
    r = nb.ctl("image", "import", raw, "--box", "bb", "--board", "pc")
    assert r.stdout == "bb/bb-pc\n"     # what pipelines read, unchanged
    assert "imported bb/bb-pc into " in r.stderr
    swu = make_swu(os.path.join(tmpdir_shared, "s"), "1.0")
    r = nb.ctl("software", "add", swu)
    assert r.stdout == "1\n"
    assert "added software 1: " in r.stderr and " 1.0 " in r.stderr
    r = nb.ctl("software", "del", "1")
    assert "deleted software 1: " in r.stdout and " 1.0" in r.stdout
    nb.ctl("ota", "repo", "--repo", "acme/app")
    r = nb.ctl("ota", "key", "--repo", "acme/app")
    assert len(r.stdout.strip()) == 64
    assert "new manifest key of acme/app" in r.stderr
    r = nb.ctl("ota", "key", "--repo", "acme/app", "--remove")
    assert "removed the manifest key of acme/app" in r.stdout
    r = nb.ctl("ota", "token", "--repo", "acme/app", "--name", "b7")
    assert "new read token for acme/app (b7)" in r.stderr


def test_errors_exit_by_their_kind(nb, tmpdir_shared):
    nb.ctl("init")
    swu = make_swu(os.path.join(tmpdir_shared, "s"), "1.0")
    nb.ctl("software", "add", swu)
    r = nb.ctl("software", "add", swu, check=False)
    assert r.returncode == 3 and r.stderr.startswith("nestboxctl: software not added: ")
    assert r.stdout == ""
    r = nb.ctl("software", "del", "7", check=False)
    assert r.returncode == 1 and r.stderr.startswith("nestboxctl: software 7: "), r.stderr
    assert r.stdout == ""
    add = [CTL, "user", "add", "ops"]
    for rc in (0, 3):                   # an existing user is a conflict
        r = subprocess.run(add, env=nb.env, input="ops-password-1\n", text=True,
                           capture_output=True)
        assert r.returncode == rc, r.stderr
    assert "user ops exists already" in r.stderr


def test_device_and_rollout_changes_are_said(nb, tmpdir_shared):
    nb.ctl("init")
    nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "s"), "1.0"))
    r = nb.ctl("device", "add", "d1", "--feed", "beta")
    assert r.stdout == "added d1\n"     # what scripts read, unchanged
    assert "added device DEFAULT/d1 (feed beta, mode rollout)" in r.stderr, r.stderr
    r = nb.ctl("device", "set", "d1", "--assign", "1", "--name", "kiosk", "--tags", "a,b")
    assert "changed device d1: mode assigned (software 1), name kiosk, tags a,b" in r.stdout
    r = nb.ctl("device", "set", "d1", "--force")
    assert "changed device d1: offered again" in r.stdout, r.stdout
    r = nb.ctl("device", "cancel", "d1", check=False)
    # nothing open: a conflict, the admin page's 409 (exit status 3)
    assert r.returncode == 3 and "device d1: no open action to cancel" in r.stderr, r
    r = nb.ctl("device", "del", "d1")
    assert "deleted device DEFAULT/d1 with its actions" in r.stdout, r.stdout
    r = nb.ctl("rollout", "add", "--feed", "beta", "--software", "1",
               "--confirm-empty")
    assert r.stdout == "1\n"
    assert "added rollout 1 on feed beta" in r.stderr, r.stderr
    assert nb.ctl("rollout", "pause", "1").stdout == "rollout 1 paused\n"
    assert nb.ctl("rollout", "resume", "1").stdout == "rollout 1 running\n"
    assert nb.ctl("rollout", "stage", "1", "30").stdout == "rollout 1 offered to 30% of feed beta\n"


def test_device_show_is_not_driven_by_what_a_device_reported(nb):
    """A device sets its own version and board: shown, not obeyed."""
    nb.ctl("init")
    nb.ctl("device", "add", "d1")
    with nb.db() as c:
        c.execute("UPDATE ddi_devices SET sw_version=?, hw_model=? WHERE controller_id='d1'",
                  ("1.0\x1b]0;owned\x07", "pc\nreason\tforged"))
    out = nb.ctl("device", "show", "d1").stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "version\t1.0?]0;owned?\n" in out
    assert "board\tpc?reason?forged:" in out
    assert [l for l in out.splitlines() if l.startswith("reason\t")] == \
        [l for l in out.splitlines() if l.startswith("reason")], out


def audit_actions(nb):
    """(via, action, target) of the audit feed, oldest first."""
    rows = json.loads(nb.ctl("audit", "--limit", "1000", "--json").stdout)
    return [(r["via"], r["action"], r["target"]) for r in reversed(rows)]


def test_rollout_show_says_when_it_started(nb, tmpdir_shared):
    """Its creation time relative, with the absolute UTC time."""
    nb.ctl("init")
    nb.ctl("device", "add", "d1", "--feed", "stable")
    nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "s"), "1.0"))
    nb.ctl("rollout", "add", "--feed", "stable", "--software", "1")
    out = nb.ctl("rollout", "show", "1").stdout.splitlines()
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert out[1].startswith("created: just now (%s " % day) and out[1].endswith(" UTC)"), out


def test_audit_reads_like_the_other_lists(nb):
    """On a terminal: a header row and times relative with the absolute
    time; --json: epoch seconds for scripts; piped: one line per action."""
    nb.ctl("init")
    nb.ctl("device", "add", "d1")
    nb.ctl("device", "set", "d1", "--feed", "beta")
    lines = on_terminal(nb, "audit").splitlines()
    assert lines[0].split() == ["TIME", "USER", "VIA", "ACTION", "ON"], lines
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert lines[1].startswith("just now (%s " % day) and " UTC)" in lines[1], lines
    assert len(lines) == 3 and " device add " in lines[2], lines
    rows = json.loads(nb.ctl("audit", "--json").stdout)
    assert [r["action"] for r in rows] == ["device set", "device add"]
    assert set(rows[0]) == {"ts", "user", "via", "action", "target"}
    assert isinstance(rows[0]["ts"], int) and abs(rows[0]["ts"] - time.time()) < 600
    piped = nb.ctl("audit", "--limit", "1").stdout.splitlines()
    assert len(piped) == 1 and piped[0].split("\t")[2:4] == ["cli", "device set"], piped
    for bad, said in ((["--bogus"], "unknown option '--bogus'"),
                      (["--limit", "x"], "--limit must be a whole number"),
                      (["--limit"], "--limit needs a value"), (["extra"], "unexpected argument")):
        p = nb.ctl("audit", *bad, check=False)
        assert p.returncode == 2 and said in p.stderr, (bad, p.stderr)


def test_every_change_reaches_the_audit_feed(nb, tmpdir_shared):
    nb.ctl("init")
    raw = make_raw_image(os.path.join(tmpdir_shared, "r.img"), size=65536)
    nb.ctl("image", "import", raw, "--box", "bb", "--board", "pc")
    for args in (["user", "add", "ops"], ["user", "passwd", "ops"]):
        subprocess.run([CTL, *args], env=nb.env, input="ops-password-1\n", text=True,
                       check=True, capture_output=True)
    nb.ctl("user", "del", "ops")
    nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "s"), "1.0"))
    nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "t"), "2.0"))
    nb.ctl("software", "del", "2")
    pkg = os.path.join(tmpdir_shared, "pkg")
    os.makedirs(pkg)
    with open(os.path.join(pkg, "helper.py"), "w") as f:
        f.write("X = 1\n")
    nb.ctl("mip", "publish", pkg, "--name", "helper", "--version", "0.3")
    nb.ctl("ota", "repo", "--repo", "acme/app")
    nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1", pkg)
    nb.ctl("ota", "push", "--repo", "acme/app", "--branch", "main", pkg)
    nb.ctl("ota", "token", "--repo", "acme/app", "--name", "b7")
    nb.ctl("ota", "key", "--repo", "acme/app")
    nb.ctl("device", "add", "d1", "--feed", "beta")
    nb.ctl("device", "set", "d1", "--mode", "latest")
    nb.ctl("device", "del", "d1")
    seen = audit_actions(nb)
    assert all(via == "cli" for via, _, _ in seen), seen
    actions = [a for _, a, _ in seen]
    assert actions == ["image import", "user add", "user passwd", "user del", "software add",
                       "software add", "software del", "mip publish", "ota repo", "ota publish",
                       "ota push", "ota token", "ota key", "device add", "device set",
                       "device del"], seen
    targets = dict(zip(actions, [t for _, _, t in seen]))
    assert "bb/bb-pc" in targets["image import"]
    assert "ops" in targets["user del"] and "helper 0.3" in targets["mip publish"]
    assert "acme/app" in targets["ota key"] and "v1" in targets["ota publish"]
    assert "d1" in targets["device del"] and "latest" in targets["device set"]


def test_device_cancel_reaches_the_audit_feed(nb, tmpdir_shared):
    nb.ctl("init")
    nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "s"), "1.0"))
    nb.ctl("device", "add", "d1", "--mode", "assigned", "--assign", "1")
    with nb.db() as c:
        dev = c.execute("SELECT id FROM ddi_devices WHERE controller_id='d1'").fetchone()[0]
        c.execute("INSERT INTO ddi_actions(device_id, software_id, status, created, updated)"
                  " VALUES(?, 1, 'waiting', 1, 1)", (dev,))
    r = nb.ctl("device", "cancel", "d1")
    assert "canceled the open action of DEFAULT/d1" in r.stdout, r.stdout
    assert audit_actions(nb)[-1][1:] == ("device cancel", "DEFAULT/d1")
    refused = nb.ctl("device", "cancel", "d1", check=False)
    # nothing open to cancel is a conflict (the admin page's 409): exit status 3
    assert refused.returncode == 3 and audit_actions(nb)[-1][1] == "device cancel"
    assert len([a for a in audit_actions(nb) if a[1] == "device cancel"]) == 1


def test_device_times_read_like_the_other_lists(nb):
    """device list and show give last_seen as the audit gives its times:
    on a terminal relative with the absolute UTC time, piped as the UTC
    time (not epoch seconds), list --json in epoch seconds for scripts."""
    nb.ctl("init")
    nb.ctl("device", "add", "d1")
    nb.ctl("device", "add", "d2")
    seen = int(time.time()) - 3 * 86400 - 60
    with nb.db() as c:
        c.execute("UPDATE ddi_devices SET last_seen=? WHERE controller_id='d1'", (seen,))
    day = time.strftime("%Y-%m-%d", time.gmtime(seen))
    piped = [l.split("\t") for l in nb.ctl("device", "list").stdout.splitlines()]
    assert [p[5] for p in piped] == [time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seen)),
                                     "never"], piped
    rows = json.loads(nb.ctl("device", "list", "--json").stdout)
    assert [r["last_seen"] for r in rows] == [seen, None], rows
    table = on_terminal(nb, "device", "list").splitlines()
    assert "3 days ago (%s " % day in table[1] and "UTC)" in table[1], table
    # device show the same way: relative on a terminal, the UTC time piped
    shown = on_terminal(nb, "device", "show", "d1").splitlines()
    seen_line = [l for l in shown if l.startswith("last_seen\t")]
    assert len(seen_line) == 1 and seen_line[0].startswith("last_seen\t3 days ago (%s " % day) \
        and seen_line[0].endswith(" UTC)"), shown
    piped = nb.ctl("device", "show", "d1").stdout.splitlines()
    assert "last_seen\t" + time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seen)) in piped, piped
    assert "last_seen\tnever" in nb.ctl("device", "show", "d2").stdout.splitlines()


def test_rollout_on_a_feed_without_devices_is_refused_unless_confirmed(nb, tmpdir_shared):
    """issue 14: the page refuses it (409) unless "create it anyway"; the CLI
    created it and exited 0."""
    nb.ctl("init")
    nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "s"), "1.0"))
    nb.ctl("device", "add", "d1", "--feed", "stable")
    r = nb.ctl("rollout", "add", "--feed", "nowhere", "--software", "1", check=False)
    assert r.returncode != 0 and r.stdout == ""
    assert "feed nowhere has no devices in rollout mode, so nothing would be offered: " \
        "check the feed's name, or pass --confirm-empty" in r.stderr, r.stderr
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_rollouts").fetchone() == (0,)
    r = nb.ctl("rollout", "add", "--feed", "nowhere", "--software", "1", "--confirm-empty")
    assert r.stdout == "1\n" and "no devices in rollout mode yet" in r.stderr
    assert nb.ctl("rollout", "add", "--feed", "stable", "--software", "1").stdout == "2\n"


@pytest.mark.parametrize("args,opt", [
    (["device", "set", "d1", "--feed", "prod", "--feed", "lab"], "--feed"),
    (["device", "set", "d1", "--name", "a", "--na=b"], "--name"),
    (["device", "set", "d1", "--force", "--force"], "--force"),
    (["rollout", "add", "--feed", "stable", "--software", "1", "--software", "1"], "--software"),
    (["rollout", "limits", "1", "--max-failures", "2", "--max-failures=3"], "--max-failures"),
])
def test_a_repeated_option_is_a_usage_error(nb, tmpdir_shared, args, opt):
    """issue 14: the last one won; the web answers 400 "given more than once"."""
    nb.ctl("init")
    nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "s"), "1.0"))
    nb.ctl("device", "add", "d1", "--feed", "stable")
    nb.ctl("rollout", "add", "--feed", "stable", "--software", "1")
    with nb.db() as c:
        before = c.execute("SELECT * FROM ddi_devices").fetchall(), \
            c.execute("SELECT * FROM ddi_rollouts").fetchall()
    r = nb.ctl(*args, check=False)
    assert r.returncode == 2 and "%s given more than once" % opt in r.stderr, r
    with nb.db() as c:
        assert (c.execute("SELECT * FROM ddi_devices").fetchall(),
                c.execute("SELECT * FROM ddi_rollouts").fetchall()) == before


@pytest.mark.parametrize("opt,value", [
    ("--name", "Z\u00fc\tx"), ("--tags", "a,\x01b"), ("--feed", "pr\x7fod"),
])
def test_device_set_takes_what_the_web_forms_take(nb, opt, value):
    """issue 14: a tab the device page refuses was stored by the CLI."""
    nb.ctl("init")
    nb.ctl("device", "add", "d1", "--feed", "stable")
    r = nb.ctl("device", "set", "d1", opt, value, check=False)
    assert r.returncode != 0 and "invalid %s" % opt.lstrip("-") in r.stderr, r
    with nb.db() as c:
        assert c.execute("SELECT name, tags, feed FROM ddi_devices").fetchone() == \
            ("", "", "stable")
    assert nb.ctl("device", "set", "d1", "--name", "Z\u00fcrich hall").returncode == 0


@pytest.mark.parametrize("args", [
    ["rollout", "pause", "99999999999999999999999"],
    ["rollout", "resume", "9223372036854775808"],
    ["rollout", "limits", "1", "--max-failures", "99999999999999999999999"],
    ["device", "set", "d1", "--assign", "99999999999999999999999"],
])
def test_a_number_past_its_range_is_refused_not_clamped(nb, args):
    """issue 14: strtoll clamped it to LLONG_MAX."""
    nb.ctl("init")
    nb.ctl("device", "add", "d1")
    r = nb.ctl(*args, check=False)
    assert r.returncode == 2 and "must be a whole number from" in r.stderr, r
    assert "not '%s'" % [a for a in args if a.startswith("9")][0] in r.stderr
