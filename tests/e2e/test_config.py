"""Configuration: errors name the file, line and key; nothing starts on a bad config."""
import os
import subprocess

from conftest import CGIBIN, CTL


def run_cgi(program, env, uri="/healthz"):
    e = {k: v for k, v in os.environ.items() if not k.startswith("NESTBOX_")}
    e.update(env, REQUEST_METHOD="GET", REQUEST_URI=uri)
    return subprocess.run([os.path.join(CGIBIN, program)], env=e, capture_output=True)


def write(tmp, text):
    p = os.path.join(tmp, "nestbox.yaml")
    with open(p, "w") as f:
        f.write(text)
    return p


def test_unknown_key_names_file_line_key(tmpdir_shared):
    p = write(tmpdir_shared, "server:\n  var_dir: var\nmkbox:\n  imag_path: /x\n")
    for prog in ("list.fcgi", "update.fcgi", "log.fcgi"):
        r = run_cgi(prog, {"NESTBOX_CONFIG": p})
        assert r.returncode != 0
        assert ("%s:4: unknown key 'mkbox.imag_path'" % p).encode() in r.stderr
        assert b"Status: 503" in r.stdout     # as CGI it still answers cleanly
    r = subprocess.run([CTL, "init"], env=dict(os.environ, NESTBOX_CONFIG=p),
                       capture_output=True, text=True)
    assert r.returncode == 1 and "unknown key 'mkbox.imag_path'" in r.stderr
    assert not os.path.exists(os.path.join(tmpdir_shared, "var"))


def test_wrong_type(tmpdir_shared):
    p = write(tmpdir_shared, "log:\n  max_rows: many\n")
    r = run_cgi("log.fcgi", {"NESTBOX_CONFIG": p})
    assert ("%s:2: key 'log.max_rows': expected an integer, got 'many'" % p).encode() in r.stderr
    p = write(tmpdir_shared, "server:\n  xsendfile: perhaps\n")
    r = run_cgi("log.fcgi", {"NESTBOX_CONFIG": p})
    assert b"key 'server.xsendfile': expected true or false" in r.stderr


def test_yaml_syntax_error_has_a_line(tmpdir_shared):
    p = write(tmpdir_shared, "server:\n  var_dir: var\n  base_url: [unclosed\n")
    r = run_cgi("log.fcgi", {"NESTBOX_CONFIG": p})
    assert r.returncode != 0 and b"YAML syntax error" in r.stderr
    assert (p + ":").encode() in r.stderr


def test_shapes_refused(tmpdir_shared):
    for text, why in [("- a\n- b\n", b"top level must be a mapping"),
                      ("server: 3\n", b"section 'server' must be a mapping"),
                      ("server:\n  var_dir: [a, b]\n", b"takes one value, not a list"),
                      ("server:\n  var_dir: a\n  var_dir: b\n", b"given twice"),
                      ("server:\n  var_dir: {a: b}\n", b"expected a value"),
                      ("a: {}\n---\nb: {}\n", b"only one YAML document"),
                      ("---\n---\nlog: {max_rows: bad}\n", b"only one YAML document"),
                      ('"server\\0junk": {var_dir: /x}\n', b"may not contain a NUL")]:
        p = write(tmpdir_shared, text)
        r = run_cgi("log.fcgi", {"NESTBOX_CONFIG": p})
        assert r.returncode != 0 and why in r.stderr, (text, r.stderr)


def test_env_override_and_unknown_env_key(tmpdir_shared):
    p = write(tmpdir_shared, "server:\n  var_dir: var\n")
    r = run_cgi("log.fcgi", {"NESTBOX_CONFIG": p, "NESTBOX_MKBOX__NOPE": "1"})
    assert b"environment NESTBOX_MKBOX__NOPE: unknown key 'mkbox.nope'" in r.stderr
    r = run_cgi("log.fcgi", {"NESTBOX_CONFIG": p, "NESTBOX_LOG__MAX_ROWS": "x"})
    assert b"NESTBOX_LOG__MAX_ROWS: key 'log.max_rows': expected an integer" in r.stderr
    other = os.path.join(tmpdir_shared, "elsewhere")
    r = subprocess.run([CTL, "config"], capture_output=True, text=True, cwd=tmpdir_shared,
                       env=dict(os.environ, NESTBOX_CONFIG=p, NESTBOX_SERVER__VAR_DIR=other,
                                IMAGE_PATH="/srv/images"))
    assert r.returncode == 0
    assert "server.var_dir = %s\n" % other in r.stdout
    assert "mkbox.image_path = /srv/images\n" in r.stdout
    # NESTBOX_* beats the plain alias
    r = subprocess.run([CTL, "config"], capture_output=True, text=True,
                       env=dict(os.environ, NESTBOX_CONFIG=p, IMAGE_PATH="/a",
                                NESTBOX_MKBOX__IMAGE_PATH="/b"))
    assert "mkbox.image_path = /b\n" in r.stdout


def test_relative_paths_follow_the_file(tmpdir_shared):
    p = write(tmpdir_shared, "server:\n  var_dir: state\n")
    r = subprocess.run([CTL, "config"], capture_output=True, text=True, cwd="/",
                       env=dict(os.environ, NESTBOX_CONFIG=p))
    assert "server.var_dir = %s/state\n" % tmpdir_shared in r.stdout


def test_missing_config_file(tmpdir_shared):
    r = run_cgi("log.fcgi", {"NESTBOX_CONFIG": os.path.join(tmpdir_shared, "nope.yaml")})
    assert r.returncode != 0 and b"nope.yaml: No such file or directory" in r.stderr


def test_empty_config_means_defaults(tmpdir_shared):
    p = write(tmpdir_shared, "# nothing here\n")
    r = subprocess.run([CTL, "config"], capture_output=True, text=True, cwd=tmpdir_shared,
                       env=dict(os.environ, NESTBOX_CONFIG=p))
    assert r.returncode == 0 and "log.max_rows = 100000\n" in r.stdout


def test_shipped_config_is_valid():
    shipped = os.path.join(os.path.dirname(__file__), "..", "..", "etc", "nestbox.yaml")
    r = subprocess.run([CTL, "config"], capture_output=True, text=True,
                       env=dict(os.environ, NESTBOX_CONFIG=os.path.abspath(shipped)))
    assert r.returncode == 0, r.stderr
    assert "mkbox.zstd_level = 3\n" in r.stdout


def test_ddi_settings_checked_at_start(tmpdir_shared):
    for text, msg in (("ddi:\n  poll_time: \"5 minutes\"\n", b"ddi.poll_time must be HH:MM:SS"),
                      ("ddi:\n  poll_time: \"00:99:00\"\n", b"ddi.poll_time must be HH:MM:SS"),
                      ("ddi:\n  auth_mode: open\n", b"ddi.auth_mode must be setup, lax or strict")):
        p = write(tmpdir_shared, "server:\n  var_dir: %s\n%s" % (tmpdir_shared, text))
        r = run_cgi("ddi.fcgi", {"NESTBOX_CONFIG": p}, uri="/DEFAULT/controller/v1/x")
        assert msg in r.stderr, r.stderr


def test_mip_upstream_fetches_bounded_at_start(tmpdir_shared):
    for n in ("0", "65", "-1"):
        p = write(tmpdir_shared, "server:\n  var_dir: %s\nmip:\n  upstream_fetches: %s\n"
                  % (tmpdir_shared, n))
        r = run_cgi("mip-index.fcgi", {"NESTBOX_CONFIG": p}, uri="/mip/index.json")
        assert b"mip.upstream_fetches: 1..64 fetches at once (not %s)" % n.encode() in r.stderr, \
            r.stderr
        assert b"Status: 200" not in r.stdout, r.stdout
        r = subprocess.run([CTL, "mip", "refresh"], capture_output=True,
                           env=dict(os.environ, NESTBOX_CONFIG=p))
        assert r.returncode != 0 and b"mip.upstream_fetches: 1..64" in r.stderr, r.stderr


def test_ota_settings_checked_at_start_by_the_admin_too(tmpdir_shared):
    """admin.fcgi publishes OTA releases with the ota.* settings it read at
    start: a bad one stops it at start, as it stops ota.fcgi, instead of
    refusing each publication later."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = write(tmpdir_shared, "server:\n  var_dir: %s\nadmin:\n  templates: %s\n"
              "ota:\n  rollout_start: 101\n" % (tmpdir_shared, os.path.join(root, "templates")))
    for program, uri in (("ota.fcgi", "/ota/api/repos/a/b/releases/latest"),
                         ("admin.fcgi", "/admin/login")):
        r = run_cgi(program, {"NESTBOX_CONFIG": p}, uri=uri)
        assert b"ota.rollout_start: a percent of the boards, 0..100" in r.stderr, (program,
                                                                                 r.stderr)
        assert b"Status: 200" not in r.stdout, r.stdout
