"""A RabbitMQ node and a PostgreSQL server of a test's own, which it may stop and start.

The machine's broker (5672) and database (5432) are shared and never stopped: a test that
takes the broker or a database away starts its own on free ports in a temporary directory.

    with PrivateRabbitMQ() as broker:       # broker.amqp_base, broker.api
        broker.stop(); broker.start()       # every connection drops; durable queues stay
    with PrivateRabbitMQCluster() as cluster:   # three nodes: cluster.nodes[i].stop()
    with PrivatePostgres() as postgres:     # postgres.create_database("clep_vouchers")
        postgres.stop(); postgres.start()
"""
import glob
import os
import pwd
import secrets
import signal
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from scripts.sandbox import Sandbox, free_port

RABBITMQ_BIN = Path(os.environ.get("CLEP_RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


def postgres_program(name):
    """initdb and pg_ctl: on the PATH, else where Debian's postgresql package puts them."""
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                                         key=lambda path: int(path.split("/")[4]))
    if not found:
        raise RuntimeError(f"{name} not found: is PostgreSQL installed?")
    return found if isinstance(found, str) else found[-1]


def _wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} within {timeout}s")
        time.sleep(0.1)


class _PrivateServer:
    """Started on entry, stopped and its directory removed on exit."""

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *exc_info):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRabbitMQ(_PrivateServer):
    """A RabbitMQ node (guest/guest, management API) on free ports, with its own data,
    logs and Erlang cookie (HOME is its directory), so that nothing here can reach the
    machine's node."""

    def __init__(self, home=None):
        """`home`: the HOME (and so the Erlang cookie) it shares with the other nodes of
        its cluster; by default its own directory."""
        self.dir = Path(tempfile.mkdtemp(prefix="clep-rabbitmq-"))
        self.port, self.dist_port, self.api_port = free_port(), free_port(), free_port()
        self.node = f"clep_faults_{self.port}@localhost"
        self.amqp_base = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.api = f"http://guest:guest@127.0.0.1:{self.api_port}/api"
        self.statistics_interval = 1.0  # seconds
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.api_port}\n"
            # queue counts in the management API at most a second old
            f"collect_statistics_interval = {int(self.statistics_interval * 1000)}\n")
        (self.dir / "enabled_plugins").write_text("[rabbitmq_management].\n")
        self.env = dict(
            os.environ, HOME=str(home or self.dir), RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_PORT=str(self.port), RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.dir / "mnesia"), RABBITMQ_LOG_BASE=str(self.dir / "log"),
            RABBITMQ_CONFIG_FILE=str(self.dir / "rabbitmq.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.dir / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(self.dir / "rabbitmq.pid"))

    def _ctl(self, *args, timeout=60):
        return subprocess.run([str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.node, *args],
                              env=self.env, capture_output=True, text=True, timeout=timeout)

    def start(self):
        return self.launch().wait_started()

    def launch(self):
        subprocess.run([str(RABBITMQ_BIN / "rabbitmq-server"), "-detached"], env=self.env,
                       check=True, capture_output=True, timeout=60)
        return self

    def wait_started(self):
        waited = self._ctl("wait", self.env["RABBITMQ_PID_FILE"], "--timeout", "60", timeout=90)
        if waited.returncode != 0:
            raise RuntimeError(f"the private RabbitMQ node did not start: {waited.stdout}"
                               f"{waited.stderr}\n(logs in {self.dir / 'log'})")
        _wait(self._api_answers, 60, "the private RabbitMQ's management API did not answer")
        return self

    def _api_answers(self):
        try:
            return requests.get(self.api + "/overview", timeout=2).ok
        except requests.RequestException:
            return False

    def stop(self):
        """Stop the node (its process exits): every client connection drops. A node that
        does not stop in time (or was stopped already) is killed, never left running."""
        try:
            self._ctl("stop", self.env["RABBITMQ_PID_FILE"], timeout=60)
        except subprocess.TimeoutExpired:
            pass
        pid_file = Path(self.env["RABBITMQ_PID_FILE"])
        try:
            pid = int(pid_file.read_text().strip())
            # only this node's process (its environment names this node's directory):
            # after a stop its pid may be anyone's
            if str(self.dir).encode() in Path(f"/proc/{pid}/environ").read_bytes():
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):  # gone already, as it should be
            pass

    def is_up(self):
        return self._api_answers()


class PrivateRabbitMQCluster(_PrivateServer):
    """Three RabbitMQ nodes of a test's own joined in one cluster (names, ports, data and
    logs of their own; one Erlang cookie in the cluster's directory). `amqp_base` lists the
    nodes ";"-separated, as AMQP_URI takes them; `api` is the management API of a node that
    is up."""

    def __init__(self, size=3):
        self.dir = Path(tempfile.mkdtemp(prefix="clep-rabbitmq-cluster-"))
        cookie = self.dir / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20))
        cookie.chmod(0o400)
        self.nodes = [PrivateRabbitMQ(home=self.dir) for _ in range(size)]
        self.amqp_base = ";".join(node.amqp_base for node in self.nodes)
        self.statistics_interval = self.nodes[0].statistics_interval

    def start(self):
        for node in self.nodes:  # the nodes boot side by side
            node.launch()
        for node in self.nodes:
            node.wait_started()
        first = self.nodes[0]
        for node in self.nodes[1:]:
            for step in (("stop_app",), ("join_cluster", first.node), ("start_app",)):
                done = node._ctl(*step)
                if done.returncode != 0:
                    raise RuntimeError(f"{node.node} could not {' '.join(step)}: "
                                       f"{done.stdout}{done.stderr}")
        _wait(self.is_whole, 60, "the cluster did not have all its nodes running")
        return self

    @property
    def api(self):
        for node in self.nodes:
            if node.is_up():
                return node.api
        raise RuntimeError("no node of the cluster answers")

    def running_nodes(self):
        return {node["name"] for node in requests.get(self.api + "/nodes", timeout=5).json()
                if node.get("running")}

    def is_whole(self):
        try:
            return self.running_nodes() == {node.node for node in self.nodes}
        except (requests.RequestException, RuntimeError):
            return False

    def node_named(self, name):
        return next(node for node in self.nodes if node.node == name)

    def queue(self, vhost, name):
        return requests.get(f"{self.api}/queues/{vhost}/{name}", timeout=5).json()

    def stop(self):
        for node in self.nodes:
            node.stop()

    def __exit__(self, *exc_info):
        super().__exit__(*exc_info)
        for node in self.nodes:
            shutil.rmtree(node.dir, ignore_errors=True)


def half_made_orders_sandbox(broker, data_dir, **settings):
    """The system's sandbox on a private broker (or cluster), every service on PostgreSQL
    and one chunk at a time, so that tests/e2e/fault_points.order_half_made can hold an
    order half made while the test does something to the broker."""
    return Sandbox("postgresql", data_dir=data_dir, amqp_base=broker.amqp_base,
                   rabbit_api=broker.api, env=dict(settings, VOUCHER_CHUNK_PREFETCH="1"))


class PrivatePostgres(_PrivateServer):
    """A PostgreSQL server (user postgres, trust auth) on a free port in a temporary
    directory. PostgreSQL refuses to run as root: as root it runs as the `postgres` user."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="clep-postgres-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self._as_user = []
        if os.getuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *argv, check=True):
        done = subprocess.run(self._as_user + [postgres_program(argv[0]), *argv[1:]],
                              capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:1])} failed: {done.stdout}{done.stderr}")
        return done

    def url(self, database):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self):
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "postgres.log"), "-w",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off", "start")
        return self

    def stop(self):
        """A fast stop: open connections are cut, as when a database server goes away."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def create_database(self, name):
        import psycopg2
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres",
                                      dbname="postgres")
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.url(name)
