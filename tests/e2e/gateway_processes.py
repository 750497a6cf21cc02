"""Talking to each of several gateway processes that share one port.

The kernel hands each new connection to one of them (SO_REUSEPORT); which one is read
from /proc: the process holding the server end of the connection."""
import http.client
import json
import os
import re


def _socket_inodes(pid):
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        found = re.fullmatch(r"socket:\[(\d+)\]", target)
        if found:
            inodes.add(found.group(1))
    return inodes


def _server_end_inode(client_port, server_port):
    """The inode of the server's socket of the loopback connection from `client_port`."""
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            remote_port = int(fields[2].split(":")[1], 16)
            if local_port == server_port and remote_port == client_port:
                return fields[9]
    return None


def connections_per_process(system, gateways, per_process=2, attempts=200):
    """{name: [keep-alive connections served by that gateway process]}, `per_process`
    of each."""
    host, port = system.base_url.split("//", 1)[1].rsplit(":", 1)
    port = int(port)
    found = {name: [] for name in gateways}
    for _ in range(attempts):
        if all(len(held) >= per_process for held in found.values()):
            return found
        connection = http.client.HTTPConnection(host, port, timeout=10)
        connection.connect()
        inode = _server_end_inode(connection.sock.getsockname()[1], port)
        owner = next((name for name in gateways if inode in
                      _socket_inodes(system.processes[name].pid)), None)
        if owner is not None and len(found[owner]) < per_process:
            found[owner].append(connection)
        else:
            connection.close()
    raise AssertionError("the kernel never handed connections to every gateway: {}".format(
        {name: len(held) for name, held in found.items()}))


def get(connection, path, token):
    """(status, JSON body) of a GET on this very connection."""
    connection.request("GET", path, headers={"Authorization": "Bearer " + token})
    response = connection.getresponse()
    body = response.read()
    return response.status, json.loads(body) if body else None
