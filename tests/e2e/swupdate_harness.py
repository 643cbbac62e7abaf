"""Drives the REAL swupdate (Debian 12's 2022.12 build, suricatta/hawkBit
mode) against a DDI server, for end-to-end tests.

- make_signing_pair(dir)      throw-away signing certificate + key
- make_signed_swu(dir, ...)   a signed .swu installing one rawfile image
- SwupdateDevice(...)         one device: config, grubenv, process, log

Where Debian's swupdate writes, and how it is kept inside the workdir
(checked with strace over a full install + reboot cycle):
- The GRUB environment (-B grub) is the compile-time path /boot/grub/grubenv
  (CONFIG_GRUBENV_PATH; it writes /boot/grub/grubenv.new and renames it
  over).  No option, config key or environment variable moves it.  The other
  bootloader interfaces, uboot and ebg, are dlopen()ed from libubootenv.so.0
  / libebgenv.so.0, which are not installed ("shared lib not found").  So
  with -B grub swupdate runs in a private mount namespace (unshare --mount,
  or --map-root-user --mount when not root) in which <workdir>/boot is
  bind-mounted over /boot: it sees <workdir>/boot/grub/grubenv as
  /boot/grub/grubenv, and the host's /boot is neither read nor written.
- With -B none (bootloader="none") no namespace is needed: the update state
  is kept in memory only, and the reboot is simulated with the suricatta
  option -c 2 (confirm SUCCESS) / -c 3 (FAILED) on the next start.
- Temporary files (sw-description, .sig, the image, scripts/, datadst/) and
  the IPC sockets sockinstctrl / swupdateprog go to $TMPDIR = <workdir>/tmp.
- Abstract sockets @NotifyServer and @Notify<pid> (no file); a second
  concurrent swupdate binds @NotifyServer1, so devices can run side by side.
- /etc/hwrevision is not read when -H board:rev is given; /etc/sw-versions
  and /etc/swupdate.cfg are not used (-f names the config).
- The installed image goes wherever the .swu says (target_file).
"""
import hashlib
import os
import shutil
import signal
import subprocess
import time

GRUBENV_HEADER = b"# GRUB Environment Block\n"


def _ignore_sigpipe():
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
GRUBENV_SIZE = 1024


# -- signing and images -------------------------------------------------------
def make_signing_pair(d):
    """A self-signed certificate (extendedKeyUsage=emailProtection, which is
    swupdate's default --cert-purpose) and its key: (cert.pem, key.pem)."""
    os.makedirs(d, exist_ok=True)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "3650",
                    "-subj", "/CN=nestbox e2e swupdate signer",
                    "-addext", "extendedKeyUsage=emailProtection",
                    "-addext", "keyUsage=digitalSignature"],
                   check=True, capture_output=True)
    return cert, key


SW_DESCRIPTION = """software =
{
	version = "%(version)s";
	description = "nestbox e2e harness image";
	hardware-compatibility: [ "%(rev)s" ];
	images: (
		{
			filename = "%(image)s";
			type = "rawfile";
			path = "%(path)s";
			sha256 = "%(sha256)s";
		}
	);
};
"""


def make_signed_swu(d, version, target_file, payload_bytes, hw=("board", "1.0"), fail=False,
                    cert=None, key=None):
    """Builds <d>/image-<version>.swu: a signed sw-description (libconfig)
    with software.version, hardware-compatibility [hw revision] and one
    "rawfile" image installed at target_file, checked by sha256.

    fail=True gives the image a wrong sha256: swupdate verifies the
    signature, starts installing, then fails the hash check at the end of
    the image ("HASH mismatch") and reports the installation as failed.
    Signed with cert/key when given, else with <d>/cert.pem and
    <d>/key.pem (made by make_signing_pair(d) when absent); the device must
    be started with that certificate (-k)."""
    os.makedirs(d, exist_ok=True)
    if cert is None or key is None:
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        if not (os.path.exists(cert) and os.path.exists(key)):
            cert, key = make_signing_pair(d)
    image = "payload-%s.bin" % version
    with open(os.path.join(d, image), "wb") as f:
        f.write(payload_bytes)
    sha = hashlib.sha256(payload_bytes).hexdigest()
    if fail:
        sha = hashlib.sha256(payload_bytes + b"\0not the payload").hexdigest()
    for c in (version, target_file, hw[1]):
        if '"' in c or "\\" in c or "\n" in c:
            raise ValueError("unquotable value for sw-description: %r" % c)
    desc = os.path.join(d, "sw-description")
    with open(desc, "w") as f:
        f.write(SW_DESCRIPTION % {"version": version, "rev": hw[1], "image": image,
                                  "path": target_file, "sha256": sha})
    subprocess.run(["openssl", "cms", "-sign", "-in", "sw-description",
                    "-out", "sw-description.sig", "-signer", cert, "-inkey", key,
                    "-outform", "DER", "-nosmimecap", "-binary"],
                   cwd=d, check=True, capture_output=True)
    out = os.path.join(d, "image-%s.swu" % version)
    with open(out, "wb") as f:
        subprocess.run(["cpio", "-o", "-H", "crc", "--quiet"], cwd=d, check=True,
                       input=("sw-description\nsw-description.sig\n%s\n" % image).encode(),
                       stdout=f, stderr=subprocess.PIPE)
    return out


# -- GRUB environment block ---------------------------------------------------
def grubenv_bytes(variables):
    body = GRUBENV_HEADER + b"".join(b"%s=%s\n" % (k.encode(), v.encode())
                                     for k, v in variables.items())
    if len(body) > GRUBENV_SIZE:
        raise ValueError("grubenv too large")
    return body + b"#" * (GRUBENV_SIZE - len(body))


def parse_grubenv(data):
    if len(data) != GRUBENV_SIZE or not data.startswith(GRUBENV_HEADER):
        raise ValueError("not a GRUB environment block")
    out = {}
    for line in data[len(GRUBENV_HEADER):].split(b"\n"):
        if b"=" in line and not line.startswith(b"#"):
            k, v = line.split(b"=", 1)
            out[k.decode()] = v.decode()
    return out


def _cfg_str(s):
    s = str(s)
    if '"' in s or "\\" in s or "\n" in s:
        raise ValueError("unquotable value for swupdate.cfg: %r" % s)
    return '"%s"' % s


def namespace_prefix():
    """The command prefix that gives swupdate a private mount namespace, or
    raises RuntimeError saying why that is impossible here."""
    if shutil.which("unshare") is None:
        raise RuntimeError("unshare(1) not installed")
    if not os.path.isdir("/boot"):
        raise RuntimeError("/boot does not exist (nothing to bind-mount over)")
    if os.geteuid() == 0:
        prefix = ["unshare", "--mount", "--propagation", "private"]
    else:       # an unprivileged user namespace, where we are "root"
        prefix = ["unshare", "--map-root-user", "--mount", "--propagation", "private"]
    p = subprocess.run(prefix + ["sh", "-c", "mount --bind /boot /boot"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("no private mount namespace: " + p.stderr.strip())
    return prefix


# -- the device ---------------------------------------------------------------
class SwupdateDevice:
    """One simulated device: the real swupdate in suricatta mode, with all of
    its state under workdir:

      workdir/swupdate.cfg        identify + suricatta sections
      workdir/boot/grub/grubenv   the GRUB environment (seen as /boot/grub/grubenv)
      workdir/tmp/                $TMPDIR (extracted files, IPC sockets)
      workdir/swupdate.log        stdout+stderr of every run, appended

    bootloader="grub" (default): -B grub inside a private mount namespace
    (see the module docstring); the update state lives in the grubenv file
    and simulate_reboot() writes ustate there, as on a real device.
    bootloader="none": no namespace needed; swupdate keeps the state in
    memory only, so simulate_reboot() restarts it with the suricatta option
    "-c 2" (or "-c 3") which makes it report the boot result explicitly.
    grub_env: the initial GRUB environment (default: none of swupdate's
    variables, like a freshly installed GRUB).
    """

    def __init__(self, workdir, server_url, tenant, controller_id, token, cert,
                 hw=("board", "1.0"), sw_version="1.0", poll=1, bootloader="grub",
                 grub_env=None, extra_args=()):
        if bootloader not in ("grub", "none"):
            raise ValueError("bootloader must be 'grub' or 'none'")
        for v in (server_url, tenant, controller_id, token):
            # swupdate splits the -u argument string at whitespace
            if not v or any(c.isspace() for c in str(v)):
                raise ValueError("suricatta argument must be non-empty, without spaces: %r" % v)
        self.workdir = os.path.abspath(workdir)
        self.server_url, self.tenant = server_url, tenant
        self.controller_id, self.token = controller_id, token
        self.cert, self.hw, self.sw_version = os.path.abspath(cert), hw, sw_version
        self.poll, self.bootloader, self.extra_args = poll, bootloader, list(extra_args)
        self.proc = None
        self.runs = 0
        self.confirm = None      # "-c" value for the next start only (bootloader none)
        self.cfg = os.path.join(self.workdir, "swupdate.cfg")
        self.bootdir = os.path.join(self.workdir, "boot")
        self.grubenv = os.path.join(self.bootdir, "grub", "grubenv")
        self.tmpdir = os.path.join(self.workdir, "tmp")
        self.logfile = os.path.join(self.workdir, "swupdate.log")
        os.makedirs(self.tmpdir, exist_ok=True)
        self.prefix = []
        if bootloader == "grub":
            self.prefix = namespace_prefix()
            os.makedirs(os.path.dirname(self.grubenv), exist_ok=True)
            if grub_env is not None or not os.path.exists(self.grubenv):
                self.write_env(grub_env or {})
        self.write_config()

    # -- files --------------------------------------------------------------
    def write_config(self):
        ident = ",\n".join("\t{ name = %s; value = %s; }" % (_cfg_str(k), _cfg_str(v))
                           for k, v in (("hw_boardname", self.hw[0]),
                                        ("hw_revision", self.hw[1]),
                                        ("sw_version", self.sw_version)))
        with open(self.cfg, "w") as f:
            f.write("globals :\n{\n\tverbose = true;\n\tloglevel = 6;\n};\n\n")
            f.write("identify : (\n%s\n);\n\n" % ident)
            f.write("suricatta :\n{\n\ttenant = %s;\n\tid = %s;\n\turl = %s;\n"
                    "\ttargettoken = %s;\n\tpolldelay = %d;\n};\n"
                    % (_cfg_str(self.tenant), _cfg_str(self.controller_id),
                       _cfg_str(self.server_url), _cfg_str(self.token), self.poll))

    def env(self):
        """The GRUB environment as a dict (ustate, ...).  swupdate rewrites
        the block in place, so a read can land between its truncate and its
        write: such a read is tried again (a bounded wait, not a timing
        assertion); a block that stays broken still fails."""
        for _ in range(100):
            with open(self.grubenv, "rb") as f:
                data = f.read()
            if len(data) == GRUBENV_SIZE:
                break
            time.sleep(0.02)
        return parse_grubenv(data)

    def write_env(self, variables):
        tmp = self.grubenv + ".harness"
        with open(tmp, "wb") as f:
            f.write(grubenv_bytes(variables))
        os.replace(tmp, self.grubenv)

    def ustate(self):
        """swupdate's update state: '1' installed (reboot pending), '2'
        testing, '3' failed, '0' or None: nothing pending.  grub only."""
        return self.env().get("ustate")

    # -- process ------------------------------------------------------------
    def command(self):
        suricatta = "-t %s -u %s -i %s -k %s -p %d" % (self.tenant, self.server_url,
                                                       self.controller_id, self.token, self.poll)
        if self.confirm:
            suricatta += " -c %s" % self.confirm
        swupdate = ["swupdate", "-f", self.cfg, "-k", self.cert, "-v",
                    "-B", self.bootloader, "-H", "%s:%s" % self.hw, *self.extra_args,
                    "-u", suricatta]
        if self.bootloader == "none":
            return swupdate
        script = 'mount --bind "$1" /boot && shift && exec "$@"'
        return self.prefix + ["sh", "-c", script, "sh", self.bootdir, *swupdate]

    def start(self):
        if self.running():
            raise AssertionError("swupdate already running")
        self.runs += 1
        env = dict(os.environ, TMPDIR=self.tmpdir)
        cmd = self.command()
        self.confirm = None
        with open(self.logfile, "ab") as log:
            log.write(b"\n===== harness: swupdate run %d: %s =====\n"
                      % (self.runs, " ".join(cmd).encode()))
            log.flush()
            # its own session, so that stop() can reach every process it forks;
            # SIGPIPE ignored as systemd starts it on a device (IgnoreSIGPIPE=
            # yes is systemd's default): under load swupdate 2022.12's main
            # process was killed by SIGPIPE writing to an IPC peer that had
            # just gone, after a successful install
            self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env,
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=_ignore_sigpipe)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _group_alive(self, pgid):
        try:
            os.killpg(pgid, 0)
            return True
        except ProcessLookupError:
            return False

    def stop(self, timeout=10.0):
        """Stops this swupdate and every process it forked (its process
        group): SIGTERM, then SIGKILL if anything is left after timeout
        seconds.  Only processes this device started are signalled."""
        if self.proc is None:
            return
        pgid = self.proc.pid        # start_new_session: the leader's pid is the pgid
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                self.proc.poll()            # reap the leader
                if not self._group_alive(pgid):
                    break
                time.sleep(0.05)
            if not self._group_alive(pgid):
                break
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("swupdate (pid %d) did not die" % pgid)
        self.proc = None

    def simulate_reboot(self, ok=True):
        """What the reboot into the installed image looks like to swupdate:
        stop it, mark the boot, start it again.  grub: ustate=2 (testing;
        ok=False: 3, failed) in the environment -> swupdate posts closed +
        success (failure) on the action and sets ustate=0.  none: the next
        run gets the suricatta option -c 2 (-c 3), with the same result."""
        self.stop()
        if self.bootloader == "grub":
            variables = self.env()
            variables["ustate"] = "2" if ok else "3"
            self.write_env(variables)
        else:
            self.confirm = "2" if ok else "3"
        self.start()

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_for(self, predicate, timeout=60.0, what="condition", interval=0.1):
        """Polls predicate until it returns something true and returns that
        (bounded; a wait, not a timing assertion).  Fails early, with the
        log, if swupdate exited."""
        end = time.monotonic() + timeout
        while True:
            v = predicate()
            if v:
                return v
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError("swupdate exited (%s) while waiting for %s; log:\n%s"
                                     % (self.proc.returncode, what, self.log()[-8000:]))
            if time.monotonic() >= end:
                raise AssertionError("gave up after %ss waiting for %s; swupdate log:\n%s"
                                     % (timeout, what, self.log()[-8000:]))
            time.sleep(interval)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
