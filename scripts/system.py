"""Start and stop the whole system as separate OS processes.

One `nameko run` process per service (access, orders, scores, billing), `voucher_workers`
processes for vouchers (named vouchers-1, vouchers-2, ...) and `gateway_workers` for the
HTTP gateway (gateway, gateway-2, ...: all on the one port, through one listening socket
made here and handed to each of them, CLEP_LISTEN_FD: a gateway process that stops leaves
the connections waiting to be accepted to the others; see gateway/draining.py).
Used by `make run` (the CLI below) and by the end-to-end tests:

    from scripts.system import System
    system = System(env={"AMQP_URI": ..., "WEB_SERVER_ADDRESS": "127.0.0.1:8123"},
                    voucher_workers=2, log_dir=tmp_path)
    system.start()
    system.wait_healthy()
    system.kill_process("vouchers-1"); system.start_process("vouchers-1")
    system.stop()

CLI: `python scripts/system.py run` makes operations/partner tokens when unset, runs the
migrations, starts everything, waits until GET /health answers 200, runs the demo seed
(through the HTTP API), then says it is up and prints the URL, the tokens and where the
logs are, and runs until Ctrl-C or SIGTERM. A process that exits on its own is started again,
after a delay that doubles while it keeps exiting (see RESTART_FIRST_DELAY), and the output
says so. With CLEP_PROBE_BASE_PORT set, each process answers its probes and /metrics on a
port of its own, counting up from it in the order of `names` (one CLEP_PROBE_ADDRESS would
be one port for every process).

This module imports nothing from the project (no nameko, no eventlet), so it can be imported
anywhere, including under eventlet's monkey patching.
"""
import argparse
import ctypes
import datetime
import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WEB_SERVER_ADDRESS = "127.0.0.1:8000"
SERVICE_MODULES = {
    "access": "services.access.service",
    "orders": "services.orders.service",
    "vouchers": "services.vouchers.service",
    "scores": "services.scores.service",
    "billing": "services.billing.service",
    "gateway": "gateway.service:GatewayService",
}
# Start order; vouchers expands to vouchers-1 .. vouchers-N.
PROCESS_ORDER = ("access", "orders", "vouchers", "scores", "billing", "gateway")
STOP_TIMEOUT = 10.0
DEFAULT_GATEWAY_WORKERS = 2  # `make run`: one per core of a small machine
# requests one gateway process has in flight (nameko's max_workers; the services keep
# CLEP_MAX_WORKERS, which also bounds their database connections)
DEFAULT_GATEWAY_MAX_WORKERS = "100"
# A process that exits on its own is started again after a delay that doubles with each
# exit in a row (1, 2, 4, ... 60 s), so that a process that cannot start does not spin;
# one that stayed up STAYS_UP_SECONDS has recovered, and its next restart waits 1 s again.
RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 60.0
STAYS_UP_SECONDS = 60.0

try:  # so that a process started here dies with its parent (Linux only)
    _libc = ctypes.CDLL(None, use_errno=True)
    _PR_SET_PDEATHSIG = 1
    _prctl = _libc.prctl
except (OSError, AttributeError):  # pragma: no cover - not Linux
    _prctl = None


class SystemStartError(RuntimeError):
    """The system did not come up (a process died, or /health never answered 200)."""


def default_python():
    """The interpreter of the project's virtualenv: this one if it is a venv, else .venv's."""
    if sys.prefix != sys.base_prefix:
        return sys.executable
    venv_python = PROJECT_ROOT / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


_NAMEKO_COMMANDS = {}


def nameko_command(python):
    """`[python, -m, nameko]` when that works with the installed nameko, else the venv's
    `nameko` console script."""
    python = str(python)
    if python not in _NAMEKO_COMMANDS:
        if Path(python).resolve() == Path(sys.executable).resolve():
            has_main = importlib.util.find_spec("nameko") is not None and \
                importlib.util.find_spec("nameko.__main__") is not None
        else:
            probe = subprocess.run(
                [python, "-c", "import importlib.util as u, sys; "
                 "sys.exit(0 if u.find_spec('nameko') and u.find_spec('nameko.__main__') else 1)"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            has_main = probe.returncode == 0
        if has_main:
            _NAMEKO_COMMANDS[python] = [python, "-m", "nameko"]
        else:
            script = Path(python).parent / "nameko"
            if not script.exists():
                raise SystemStartError(f"nameko is not installed for {python} "
                                       f"(no `-m nameko`, no {script}); run `make venv`")
            _NAMEKO_COMMANDS[python] = [str(script)]
    return list(_NAMEKO_COMMANDS[python])


def data_dir(env=None):
    """CLEP_DATA_DIR (default var), relative to the project root."""
    value = (env or {}).get("CLEP_DATA_DIR") or os.environ.get("CLEP_DATA_DIR") or "var"
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def web_address(env=None):
    """(host to connect to, port) of the gateway, from WEB_SERVER_ADDRESS."""
    value = ((env or {}).get("WEB_SERVER_ADDRESS") or os.environ.get("WEB_SERVER_ADDRESS")
             or DEFAULT_WEB_SERVER_ADDRESS)
    host, _, port = value.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::", "*"):
        host = "127.0.0.1"
    return host, int(port)


def tail(path, lines=30):
    try:
        with open(path, "rb") as stream:
            stream.seek(0, os.SEEK_END)
            size = stream.tell()
            stream.seek(max(0, size - 64 * 1024))
            text = stream.read().decode("utf-8", "replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


class System:
    """The five services and the gateway, each a separate `nameko run` process.

    Beyond the processes it starts, `start_process("billing-2")` starts another replica of
    a service.

    env: variables merged over os.environ for every process (a None value removes one).
    voucher_workers: how many vouchers processes (vouchers-1 .. vouchers-N).
    gateway_workers: how many gateway processes (gateway, gateway-2 .. gateway-N).
    log_dir: where <name>.log goes (default <CLEP_DATA_DIR>/log).
    probe_addresses: {name: "host:port"}, each process's own CLEP_PROBE_ADDRESS (its probes
    and /metrics; see probe_addresses()).
    modules: override the module run for a process kind, e.g. {"access": "tmp_dummy"}.
    """

    def __init__(self, env=None, voucher_workers=1, log_dir=None, *, gateway_workers=1,
                 project_root=None, config_path=None, python=None, modules=None,
                 die_with_parent=True, probe_addresses=None):
        self.env = dict(env or {})
        self.probe_addresses = dict(probe_addresses or {})
        if voucher_workers < 1 or gateway_workers < 1:
            raise ValueError("voucher_workers and gateway_workers must be at least 1")
        self.voucher_workers = voucher_workers
        self.gateway_workers = gateway_workers
        self.project_root = Path(project_root or PROJECT_ROOT)
        self.log_dir = Path(log_dir) if log_dir else data_dir(self.env) / "log"
        self.config_path = str(config_path or self._merged_env().get("CLEP_CONFIG")
                               or "config.yaml")
        self.python = str(python or default_python())
        self.modules = dict(SERVICE_MODULES, **(modules or {}))
        self.die_with_parent = die_with_parent
        self.processes = {}          # name -> Popen (exited ones stay, with their returncode)
        self._stopped = set()        # names stopped on purpose
        self._reported = set()       # names whose unexpected exit was already reported
        self._started_at = {}        # name -> time.monotonic() of its last start
        self._restart_delay = {}     # name -> the delay of its last restart
        self._restart_due = {}       # name -> time.monotonic() when it starts again
        self._listener = None        # the gateway processes' one listening socket

    # --- names and paths ---------------------------------------------------------------
    @property
    def names(self):
        names = []
        for kind in PROCESS_ORDER:
            if kind == "vouchers":
                names.extend(f"vouchers-{n}" for n in range(1, self.voucher_workers + 1))
            elif kind == "gateway":
                names.extend(["gateway"] + [f"gateway-{n}" for n in
                                            range(2, self.gateway_workers + 1)])
            else:
                names.append(kind)
        return names

    @staticmethod
    def kind(name):
        kind, _, number = name.partition("-")
        if kind in SERVICE_MODULES and number.isdigit() and int(number) >= 1:
            return kind
        if name in SERVICE_MODULES and name != "vouchers":
            return name
        raise KeyError(f"no such process: {name!r} (names: access, orders, scores, billing, "
                       "gateway, vouchers-1, vouchers-2, ..., and billing-2, gateway-2, "
                       "... for more replicas)")

    def log_path(self, name):
        return self.log_dir / f"{name}.log"

    def log_tail(self, name, lines=30):
        return tail(self.log_path(name), lines)

    @property
    def base_url(self):
        host, port = web_address(self._merged_env())
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    def _merged_env(self):
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        for key, value in self.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
        return env

    def command(self, name):
        module = self.modules[self.kind(name)]
        return nameko_command(self.python) + ["run", "--config", self.config_path, module]

    # --- processes ---------------------------------------------------------------------
    def is_running(self, name):
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def start(self):
        """Start every process (none may be running yet)."""
        host, port = web_address(self._merged_env())
        if _port_in_use(host, port):
            raise SystemStartError(
                f"something already listens on {host}:{port} (WEB_SERVER_ADDRESS): an earlier "
                "run still going? Stop it or pick another address.")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for name in self.names:
                self.start_process(name)
        except BaseException:
            self.stop()
            raise
        return self

    def start_process(self, name):
        """Start (or restart) one process; a no-op if it is already running."""
        self.kind(name)
        if self.is_running(name):
            return self.processes[name]
        self.log_dir.mkdir(parents=True, exist_ok=True)
        command = self.command(name)
        with open(self.log_path(name), "ab") as log:
            log.write("\n=== {} {} starting: {}\n".format(
                datetime.datetime.now().isoformat(timespec="seconds"), name,
                " ".join(command)).encode())
            log.flush()
            env = self._merged_env()
            env["CLEP_LOG_FILE"] = str(self.log_path(name))  # the process rotates it by size
            if name in self.probe_addresses:
                env["CLEP_PROBE_ADDRESS"] = self.probe_addresses[name]
            handed_down = ()
            if self.kind(name) == "gateway":  # its workers mostly wait on RPC replies
                env["CLEP_MAX_WORKERS"] = env.get("CLEP_GATEWAY_MAX_WORKERS",
                                                  DEFAULT_GATEWAY_MAX_WORKERS)
                handed_down = (self._listening_socket().fileno(),)
                env["CLEP_LISTEN_FD"] = str(handed_down[0])
            process = subprocess.Popen(
                command, cwd=str(self.project_root), env=env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                pass_fds=handed_down,
                start_new_session=True,  # Ctrl-C in a terminal reaches only the parent
                preexec_fn=self._preexec if self.die_with_parent and _prctl else None)
        self.processes[name] = process
        self._started_at[name] = time.monotonic()
        self._stopped.discard(name)
        self._reported.discard(name)
        self._restart_due.pop(name, None)
        return process

    def _listening_socket(self):
        """WEB_SERVER_ADDRESS's listening socket, made once for every gateway process.

        One socket (one accept queue) shared by the processes, rather than one each with
        SO_REUSEPORT: when a process stops, the connections waiting to be accepted stay
        for the others instead of being reset with its socket, and none is sent to it
        after it stopped accepting. That is what makes a rolling restart lose nothing
        here, where no load balancer stands in front (tests/e2e/test_rolling_restart.py)."""
        if self._listener is None:
            value = self._merged_env().get("WEB_SERVER_ADDRESS") or DEFAULT_WEB_SERVER_ADDRESS
            host, _, port = value.rpartition(":")
            family, kind, proto, _, address = socket.getaddrinfo(
                host.strip("[]") or None, int(port), type=socket.SOCK_STREAM,
                flags=socket.AI_PASSIVE)[0]
            listener = socket.socket(family, kind, proto)
            try:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind(address)
                listener.listen(socket.SOMAXCONN)
            except OSError:
                listener.close()
                raise
            self._listener = listener
        return self._listener

    @staticmethod
    def _preexec():
        # SIGKILL: when the parent is gone (killed), nobody is left to wait for a graceful stop
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    def stop_process(self, name, timeout=STOP_TIMEOUT):
        """SIGTERM one process, SIGKILL it if it has not stopped after `timeout` seconds."""
        self.kind(name)
        self._stopped.add(name)
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        _signal(process, signal.SIGTERM)
        if self._wait_for_exit({name: process}, timeout):
            _signal(process, signal.SIGKILL)
        return process.wait()

    def kill_process(self, name):
        """SIGKILL one process (a crash, as far as the rest of the system can tell; killed
        here on purpose, so `make run` does not restart it)."""
        self.kind(name)
        self._stopped.add(name)
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        _signal(process, signal.SIGKILL)
        return process.wait()

    def restart(self, names, env=None, timeout=60):
        """Stop and start these processes, with `env` merged over their environment (a
        new CLEP_CLOCK_NOW, say), and wait until /health answers."""
        self.env.update(env or {})
        for name in names:
            self.stop_process(name)
            self.start_process(name)
        self.wait_healthy(timeout=timeout)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM every process, wait up to `timeout` seconds, SIGKILL the stragglers."""
        running = {name: p for name, p in self.processes.items() if p.poll() is None}
        self._stopped.update(self.processes)
        self._restart_due.clear()
        for process in running.values():
            _signal(process, signal.SIGTERM)
        killed = self._wait_for_exit(running, timeout)
        for name in killed:
            _signal(running[name], signal.SIGKILL)
        for process in running.values():
            process.wait()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        return killed

    def _wait_for_exit(self, processes, timeout):
        """Wait until the processes have exited; the names still running after `timeout`.

        `nameko run` handles SIGTERM by spawning the stop in a greenthread, which runs only
        when the eventlet hub wakes up. A process with nothing but @http entrypoints may
        sleep in the hub for up to a minute, so the gateway is woken with a TCP connection
        to its port now and then."""
        deadline = time.monotonic() + timeout
        next_poke = time.monotonic() + 0.1
        while True:
            left = [name for name, p in processes.items() if p.poll() is None]
            if not left or time.monotonic() >= deadline:
                return left
            if any(self.kind(name) == "gateway" for name in left) \
                    and time.monotonic() >= next_poke:
                _port_in_use(*web_address(self._merged_env()), timeout=0.2)
                next_poke = time.monotonic() + 0.5
            time.sleep(0.05)

    def unexpected_exits(self):
        """{name: returncode} of processes that exited without being stopped here, each
        reported once."""
        found = {}
        for name, process in self.processes.items():
            code = process.poll()
            if code is not None and name not in self._stopped and name not in self._reported:
                self._reported.add(name)
                found[name] = code
        return found

    def schedule_restart(self, name):
        """Plan the restart of a process that exited on its own; returns the delay (s)."""
        now = time.monotonic()
        previous = self._restart_delay.get(name)
        if previous is None or now - self._started_at.get(name, now) >= STAYS_UP_SECONDS:
            delay = RESTART_FIRST_DELAY
        else:
            delay = min(previous * 2, RESTART_MAX_DELAY)
        self._restart_delay[name] = delay
        self._restart_due[name] = now + delay
        return delay

    def restart_due(self):
        """Start the processes whose planned restart is due; returns their names."""
        now = time.monotonic()
        due = [name for name, when in self._restart_due.items()
               if when <= now and name not in self._stopped]
        for name in due:
            self.start_process(name)
        return due

    def wait_healthy(self, timeout=60):
        """Poll the health until it answers 200; raise (with the logs' tails) otherwise.
        With the operations token, GET /api/admin/health, which asks every service now
        (GET /health answers from a view up to a second or so old: a process just
        restarted may not be in it yet)."""
        env = self._merged_env()
        token = env.get("CLEP_OPERATIONS_TOKEN")
        url = self.base_url + ("/api/admin/health" if token else "/health")
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {token}"} if token else {})
        deadline = time.monotonic() + timeout
        last = "no answer"
        while True:
            dead = {name: p.returncode for name, p in self.processes.items()
                    if name not in self._stopped and p.poll() is not None}
            if dead:
                raise SystemStartError("process(es) exited while starting: {}\n{}".format(
                    ", ".join(f"{n} (exit {c})" for n, c in dead.items()),
                    self._tails(dead)))
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return response.read()
                    last = f"HTTP {response.status}"
            except urllib.error.HTTPError as exc:
                body = exc.read()[:500].decode("utf-8", "replace")
                last = f"HTTP {exc.code}: {body}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(getattr(exc, "reason", exc))
            if time.monotonic() >= deadline:
                raise SystemStartError(f"{url} did not answer 200 within {timeout}s "
                                       f"(last: {last})\n{self._tails(self.processes)}")
            time.sleep(0.25)

    def _tails(self, names, lines=20):
        return "\n".join(f"--- {name} ({self.log_path(name)}) ---\n{self.log_tail(name, lines)}"
                         for name in names)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def probe_addresses(names, base_port, host="127.0.0.1"):
    """{name: "host:port"}: a probe (and /metrics) port for each process, from base_port up."""
    return {name: f"{host}:{base_port + number}" for number, name in enumerate(names)}


def _signal(process, signum):
    try:  # the whole process group: the process is its session's leader
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        try:
            process.send_signal(signum)
        except ProcessLookupError:
            pass


def _port_in_use(host, port, timeout=1.0):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --- CLI -------------------------------------------------------------------------------
class _Stop(Exception):
    pass


def _run_step(title, argv, env):
    print(f"==> {title}", flush=True)
    result = subprocess.run(argv, cwd=str(PROJECT_ROOT), env=env)
    if result.returncode != 0:
        print("{} failed (exit {}): {}".format(title, result.returncode, " ".join(argv)),
              file=sys.stderr, flush=True)
        raise SystemExit(1)


def _seed_demo(system, env):
    """The demo seed goes through the HTTP API, so it runs once the system is healthy; it
    remembers (per data directory) that it ran, and prints the demo credentials."""
    if not _seed_module_exists():
        print("==> Demo seed: scripts/seed_demo.py does not exist yet; skipped", flush=True)
        return
    print("==> Seeding the demo data", flush=True)
    argv = [system.python, "-m", "scripts.seed_demo", system.base_url,
            env["CLEP_OPERATIONS_TOKEN"]]
    result = subprocess.run(argv, cwd=str(PROJECT_ROOT), env=env)
    if result.returncode != 0:
        print(f"!!! The demo seed failed (exit {result.returncode}); the system keeps running "
              "without the demo data.", file=sys.stderr, flush=True)


def _seed_module_exists():
    scripts = PROJECT_ROOT / "scripts"
    return (scripts / "seed_demo.py").exists() or (scripts / "seed_demo" / "__init__.py").exists()


def _count_setting(name, default):
    """A process count from the environment; None (after saying why) when it is not one."""
    try:
        count = int(os.environ.get(name) or default)
    except ValueError:
        count = 0
    if count < 1:
        print(f"{name} must be a whole number, at least 1", file=sys.stderr)
        return None
    return count


def run(args):
    overrides = {}
    generated = set()
    for name in ("CLEP_OPERATIONS_TOKEN", "CLEP_PARTNER_TOKEN"):
        if not os.environ.get(name):
            overrides[name] = secrets.token_urlsafe(32)
            generated.add(name)
    workers = _count_setting("VOUCHER_WORKERS", 1)
    gateways = _count_setting("GATEWAY_WORKERS", DEFAULT_GATEWAY_WORKERS)
    if workers is None or gateways is None:
        return 2
    if os.environ.get("CLEP_PROBE_ADDRESS"):
        print("CLEP_PROBE_ADDRESS would be one port for every process: set "
              "CLEP_PROBE_BASE_PORT instead, for a port each", file=sys.stderr)
        return 2
    probe_base = _count_setting("CLEP_PROBE_BASE_PORT", 0) \
        if os.environ.get("CLEP_PROBE_BASE_PORT") else 0
    if probe_base is None:
        return 2

    if "PYTHONWARNINGS" not in os.environ:
        # eventlet's deprecation banner (a plain Warning, issued on import) and pkg_resources'
        # notice would open every log; set PYTHONWARNINGS to see warnings again.
        overrides["PYTHONWARNINGS"] = "ignore"
    if not os.environ.get("CLEP_PUBLIC_URL"):  # the links in the mail lead to this portal
        host, port = web_address()
        overrides["CLEP_PUBLIC_URL"] = "http://{}:{}".format(
            f"[{host}]" if ":" in host else host, port)
    system = System(env=overrides, voucher_workers=workers, gateway_workers=gateways)
    if probe_base:
        system.probe_addresses = probe_addresses(system.names, probe_base)
    env = system._merged_env()
    python = system.python
    system.log_dir.mkdir(parents=True, exist_ok=True)

    host, port = web_address(env)
    if _port_in_use(host, port):
        print(f"Something already listens on {host}:{port} (WEB_SERVER_ADDRESS): is the system "
              "already running? Stop it, or set WEB_SERVER_ADDRESS.", file=sys.stderr)
        return 1

    _run_step("Migrating the databases", [python, "-m", "services.common.migrations"], env)

    stopping = []

    def on_signal(signum, _frame):
        if stopping:
            return  # already on our way out
        stopping.append(signum)
        raise _Stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        print("==> Starting access, orders, {} vouchers process{}, scores, billing, {} "
              "gateway process{}".format(workers, "" if workers == 1 else "es", gateways,
                                         "" if gateways == 1 else "es"), flush=True)
        try:
            system.start()
            system.wait_healthy(timeout=args.timeout)
        except SystemStartError as exc:
            print(f"The system did not come up: {exc}", file=sys.stderr, flush=True)
            stopping.append(None)
            system.stop()
            return 1
        _seed_demo(system, env)
        _print_banner(system, env, generated)
        while True:
            time.sleep(0.5)
            for name, code in system.unexpected_exits().items():
                delay = system.schedule_restart(name)
                print(f"\n!!! {name} exited unexpectedly (exit code {code}); restarting it in "
                      f"{delay:.0f}s. Last lines of {system.log_path(name)}:\n"
                      f"{system.log_tail(name)}\n", file=sys.stderr, flush=True)
            for name in system.restart_due():
                print(f"==> Restarted {name} (pid {system.processes[name].pid})", flush=True)
    except _Stop:
        stopping.append(None)
        print(f"\nStopping (SIGTERM to every process, SIGKILL after {STOP_TIMEOUT:.0f}s)...",
              flush=True)
        killed = system.stop()
        if killed:
            print("Killed (did not stop in time): {}".format(", ".join(killed)), flush=True)
        print("Stopped.", flush=True)
        return 0
    finally:
        system.stop()


def _print_banner(system, env, generated):
    def origin(name):
        return "generated for this run" if name in generated else "from the environment"

    print("\nThe CLEP portal is up.", flush=True)
    print(f"  Portal:           {system.base_url}/   (open it in a browser; demo sign-in above)")
    print(f"  API:              {system.base_url}/api/openapi.json   "
          f"(health: {system.base_url}/health)")
    print("  Operations token: {}   (CLEP_OPERATIONS_TOKEN, {})".format(
        env["CLEP_OPERATIONS_TOKEN"], origin("CLEP_OPERATIONS_TOKEN")))
    print("  Partner token:    {}   (CLEP_PARTNER_TOKEN, {})".format(
        env["CLEP_PARTNER_TOKEN"], origin("CLEP_PARTNER_TOKEN")))
    print("  Logs:             {}/   ({})".format(
        system.log_dir, ", ".join(f"{n}.log" for n in system.names)))
    if system.probe_addresses:
        print("  Metrics:          {}   (CLEP_PROBE_BASE_PORT)".format(", ".join(
            f"{name} http://{address}/metrics"
            for name, address in system.probe_addresses.items())))
    print("  Processes:        {}".format(", ".join(
        f"{n} ({p.pid})" for n, p in system.processes.items())))
    print("Press Ctrl-C to stop.", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="scripts/system.py", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser(
        "run", help="migrate, seed the demo, start every process, run until Ctrl-C")
    run_parser.add_argument("--timeout", type=float, default=60,
                            help="seconds to wait for GET /health to answer 200 (default 60)")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:  # Ctrl-C during the migrations or the seed
        print("\nInterrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
