"""Two "hosts" on this machine: network namespaces joined by a veth pair (root, iproute2).

Only addresses inside the two namespaces are used; nothing else on the network is touched.
DDS runs over UDP between them (shared memory off, discovery by static peers).
"""
import os
import subprocess


def ip(*args) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


class NetworkHosts:
    """Namespaces `press` and `arm` with addresses 10.231.N.1 and 10.231.N.2."""

    def __init__(self, tag: int):
        self.tag = tag % 250
        suffix = f"{self.tag}_{os.getpid()}"
        self.names = {"press": f"pcp{suffix}", "arm": f"pca{suffix}"}
        self.links = {"press": f"vp{self.tag}x{os.getpid() % 10000}",
                      "arm": f"va{self.tag}x{os.getpid() % 10000}"}
        self.addresses = {"press": f"10.231.{self.tag}.1", "arm": f"10.231.{self.tag}.2"}

    def up(self) -> "NetworkHosts":
        for host in ("press", "arm"):
            ip("netns", "add", self.names[host])
        ip("link", "add", self.links["press"], "type", "veth", "peer", "name", self.links["arm"])
        for host in ("press", "arm"):
            namespace, link = self.names[host], self.links[host]
            ip("link", "set", link, "netns", namespace)
            ip("-n", namespace, "addr", "add", f"{self.addresses[host]}/24", "dev", link)
            ip("-n", namespace, "link", "set", "lo", "up")
            ip("-n", namespace, "link", "set", link, "up")
        return self

    def cut(self) -> None:
        """Pull the cable: the link goes down on both ends."""
        for host in ("press", "arm"):
            ip("-n", self.names[host], "link", "set", self.links[host], "down")

    def down(self) -> None:
        for host in ("press", "arm"):
            subprocess.run(["ip", "netns", "del", self.names[host]], capture_output=True)

    def env(self, host: str) -> dict:
        other = "arm" if host == "press" else "press"
        return {**os.environ, "ROS_LOCALHOST_ONLY": "0", "ROS_AUTOMATIC_DISCOVERY_RANGE": "SUBNET",
                "ROS_STATIC_PEERS": self.addresses[other],
                "FASTDDS_BUILTIN_TRANSPORTS": "UDPv4"}

    def popen(self, host: str, command, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(["ip", "netns", "exec", self.names[host], *command],
                                env=self.env(host), **kwargs)
