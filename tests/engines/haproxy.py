"""
HAProxy (Debian's C{/usr/sbin/haproxy}) in front of N WebSocket nodes on
loopback, for the cluster tests and C{deploy/run-local-cluster}: its
configuration is C{deploy/haproxy.cfg} (the operators' template) with the
system-only lines left out, the frontend bound to a loopback port and one
server line per node; it runs in the foreground, in a temporary folder of
its own, with a stats socket to read the nodes' states.
"""

import os
import shutil
import socket
import subprocess

from tests.engines.processes import Child, EngineError, free_port

#: Debian's executable.
HAPROXY = "/usr/sbin/haproxy"

#: The operators' template, in the repository.
TEMPLATE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "deploy", "haproxy.cfg")

_BEGIN, _END = "# BEGIN NODES", "# END NODES"


def executable() -> str | None:
    """
    HAProxy's executable, or C{None} when it is not installed.
    """
    return HAPROXY if os.access(HAPROXY, os.X_OK) else shutil.which("haproxy")


def render_config(template: str, bind: str, nodes: list[tuple[str, str, int]], stats_socket: str) -> str:
    """
    The template made into a loopback configuration.

    @param template: the text of C{deploy/haproxy.cfg}.
    @param bind: the frontend's address (C{127.0.0.1:PORT}).
    @param nodes: (name, host, port) of each node's WebSocket listener.
    @param stats_socket: the address of the admin socket to add.
    @raise ValueError: the template lacks its frontend's bind line or its
        NODES lines.
    """
    if _BEGIN not in template or _END not in template:
        raise ValueError(f"the HAProxy template has no {_BEGIN!r} ... {_END!r} lines")
    head, rest = template.split(_BEGIN, 1)
    _, tail = rest.split(_END, 1)
    servers = "".join(f"    server {name} {host}:{port}\n" for name, host, port in nodes)
    text = f"{head}{_BEGIN}\n{servers}    {_END}{tail}"
    lines = []
    section = None
    bound = False
    for line in text.splitlines():
        if line.rstrip().endswith("# system"):
            continue
        if line and not line[0].isspace():
            section = line.split()[0]
            lines.append(line)
            if section == "global":
                lines.append(f"    stats socket {stats_socket} mode 600 level admin")
                lines.append("    log stderr format raw local0 notice")
            continue
        if section == "frontend" and line.strip().startswith("bind "):
            line = f"    bind {bind}"
            bound = True
        lines.append(line)
    if not bound:
        raise ValueError("the HAProxy template's frontend has no bind line")
    return "\n".join(lines) + "\n"


class HAProxy:
    """
    HAProxy on a loopback port in front of C{nodes}.

    @ivar port: the frontend's port.
    @ivar url: C{ws://127.0.0.1:PORT/}, what charge points connect to.
    @ivar folder: its temporary folder (configuration, log).
    """

    def __init__(self, folder: str, nodes: list[tuple[str, str, int]], port: int | None = None,
                 template: str = TEMPLATE) -> None:
        self.folder = folder
        self.nodes = list(nodes)
        self.port = free_port() if not port else port
        self.url = f"ws://127.0.0.1:{self.port}/"
        self.template = template
        self.config_path = os.path.join(folder, "haproxy.cfg")
        # In the abstract namespace: no file to remove, and no limit of 97
        # bytes on a path deep in a test's folder.
        self.socket_name = f"openocpp-haproxy-{os.getpid()}-{self.port}"
        self.child: Child | None = None

    def start(self, timeout: float = 15.0) -> "HAProxy":
        """
        Write the configuration, check it (C{haproxy -c}), start HAProxy and
        wait until its frontend accepts connections.

        @raise EngineError: it is not installed, the configuration is
            refused, or it does not start.
        """
        haproxy = executable()
        if haproxy is None:
            raise EngineError("haproxy is not installed (.ci/engines installs it: apt-get install haproxy)")
        os.makedirs(self.folder, exist_ok=True)
        with open(self.template, encoding="utf-8") as template:
            text = render_config(template.read(), f"127.0.0.1:{self.port}", self.nodes, "abns@" + self.socket_name)
        with open(self.config_path, "w", encoding="utf-8") as config:
            config.write(text)
        check = subprocess.run([haproxy, "-c", "-f", self.config_path], capture_output=True, text=True)
        if check.returncode != 0:
            detail = " | ".join((check.stdout + check.stderr).strip().splitlines()[-3:])
            raise EngineError(f"haproxy refused {self.config_path}: {detail}")
        self.child = Child("haproxy", [haproxy, "-db", "-f", self.config_path],
                           os.path.join(self.folder, "haproxy.log")).start()
        self.child.wait_for_port("127.0.0.1", self.port, timeout)
        return self

    def server_states(self) -> dict[str, str]:
        """
        Each node's state as HAProxy sees it now: C{"UP"} (a health check
        passed), C{"DOWN"}, or C{"STARTING"} (not checked yet, or coming
        up), from C{show servers state} on the stats socket.
        """
        answer = self.command("show servers state nodes")
        states = {}
        for line in answer.splitlines():
            fields = line.split()
            if len(fields) > 11 and not line.startswith("#") and fields[1] == "nodes":
                # srv_op_state 0 is down; 2 with srv_check_result 3 is up
                # with a check passed (before its first check, a server is
                # up unchecked: "STARTING").
                if fields[5] == "0":
                    states[fields[3]] = "DOWN"
                elif fields[5] == "2" and fields[11] == "3":
                    states[fields[3]] = "UP"
                else:
                    states[fields[3]] = "STARTING"
        return states

    def sessions(self) -> dict[str, int]:
        """
        How many connections HAProxy holds to each node now (its stats'
        C{scur}): where it sent the charge points.
        """
        lines = self.command("show stat nodes 4 -1").splitlines()
        header = lines[0].lstrip("# ").split(",")
        name, current = header.index("svname"), header.index("scur")
        return {
            fields[name]: int(fields[current])
            for fields in (line.split(",") for line in lines[1:] if line)
            if fields[0] == "nodes"
        }

    def command(self, text: str) -> str:
        """
        One command on the stats socket; its answer.
        """
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as admin:
            admin.settimeout(5)
            # HAProxy pads an abstract name with NULs to the whole sun_path.
            admin.connect(b"\0" + self.socket_name.encode("ascii").ljust(107, b"\0"))
            admin.sendall(text.encode("ascii") + b"\n")
            chunks = []
            while chunk := admin.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", "replace")

    def stop(self) -> None:
        """
        Stop it (SIGTERM, then SIGKILL after 10 s).
        """
        if self.child is not None:
            self.child.stop()

