"""A real PostgreSQL server for one test: its own data folder, port and socket, stopped after.

Debian's `postgresql` package (scripts/setup.sh installs it) puts the server programs in
/usr/lib/postgresql/<version>/bin. The server refuses to run as root, so as root it runs as
the package's `postgres` user. Inside a network namespace, pass `netns` and `host`.
"""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile


def server_programs() -> str:
    """The folder of initdb and pg_ctl ("" when PostgreSQL is not installed)."""
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(os.path.realpath(found))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(versions[-1]) if versions else ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """initdb, pg_ctl start, createdb; url() for SQLAlchemy (psycopg 3)."""

    def __init__(self, host: str = "127.0.0.1", netns: str = "", database: str = "campaigns",
                 user: str = "press"):
        # not under pytest's tmp_path: the postgres user cannot enter root's private folders
        self.folder = tempfile.mkdtemp(prefix="press_control_pg_")
        self.host, self.netns = host, netns
        self.database, self.user = database, user
        self.port = free_port()
        self.programs = server_programs()
        self.data = os.path.join(self.folder, "data")

    def _run(self, *command, check=True):
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        if os.geteuid() == 0:
            prefix += ["runuser", "-u", "postgres", "--"]
        done = subprocess.run(prefix + [os.path.join(self.programs, command[0]),
                                        *command[1:]],
                              capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")
        return done

    def start(self) -> "PostgresServer":
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.folder, postgres.pw_uid, postgres.pw_gid)
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", self.user, "--no-sync",
                  "-E", "UTF8")
        with open(os.path.join(self.data, "pg_hba.conf"), "a") as rules:  # the test's hosts
            rules.write("host all all 0.0.0.0/0 trust\n")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses={self.host} " \
                  "-c fsync=off"
        self._run("pg_ctl", "-D", self.data, "-o", options, "-l",
                  os.path.join(self.folder, "server.log"), "-w", "-t", "60", "start")
        self._run("createdb", "-h", self.host, "-p", str(self.port), "-U", self.user,
                  self.database)
        return self

    def query(self, sql: str) -> list:
        """Rows of sql as tuples of text, asked with psql (the server's own client)."""
        done = self._run("psql", "-h", self.host, "-p", str(self.port), "-U", self.user,
                         "-d", self.database, "-At", "-F", "\t", "-c", sql)
        return [tuple(line.split("\t")) for line in done.stdout.splitlines() if line]

    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{self.database}"

    def stop(self) -> None:
        if os.path.isdir(self.data):
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)
