"""nestboxctl ota token and ota key name a repository that exists: a
misspelt --repo is refused as not found (exit 1) and makes no repository
(it made one, public, that nobody publishes to); an empty --name is a
usage error (exit 2)."""


def repos(nb):
    with nb.db() as c:
        return sorted(r[0] + "/" + r[1] for r in
                      c.execute("SELECT owner, name FROM ota_repos").fetchall())


def test_unknown_repository_is_not_made(nb):
    nb.ctl("init")
    for args in (["token", "--repo", "zz/never", "--name", "b1"],
                 ["key", "--repo", "zz/never3"],
                 ["key", "--repo", "zz/never3", "--remove"]):
        p = nb.ctl("ota", *args, check=False)
        assert p.returncode == 1, (args, p.returncode, p.stderr)
        assert "no repository zz/never" in p.stderr and p.stdout == "", (args, p.stderr)
    assert repos(nb) == []
    # made by ota repo, it takes tokens and keys
    nb.ctl("ota", "repo", "--repo", "acme/app")
    assert len(nb.ctl("ota", "token", "--repo", "acme/app", "--name", "b1").stdout.strip()) > 0
    assert len(nb.ctl("ota", "key", "--repo", "acme/app").stdout.strip()) == 64
    assert repos(nb) == ["acme/app"]


def test_empty_token_name_is_a_usage_error(nb):
    nb.ctl("init")
    nb.ctl("ota", "repo", "--repo", "acme/app")
    p = nb.ctl("ota", "token", "--repo", "acme/app", "--name", "", check=False)
    assert p.returncode == 2 and "--name must not be empty" in p.stderr, p.stderr
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ota_tokens").fetchone() == (0,)
