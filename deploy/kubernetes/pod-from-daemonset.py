#!/usr/bin/env python3
"""Prints the Pod that a DaemonSet's template describes, for `podman kube
play` (podman 4.3 plays Pods, not DaemonSets):

    python3 deploy/kubernetes/pod-from-daemonset.py daemonset.yaml \
        [--image IMAGE] [--enable VOLUME]... [--host-path PATH=NEWPATH]...
        [--no-ports]

The Pod is the template itself (metadata: the DaemonSet's name and namespace
and the template's labels and annotations; spec: the template's spec), so
the DaemonSet stays the one copy. --enable uncomments a volume the manifest
ships commented out (its `# - name: VOLUME` block, in volumeMounts and in
volumes), exactly as an operator would; --host-path points a hostPath
elsewhere (a test's own container storage); --image replaces every
container's image; --no-ports drops the containers' ports, naming the probes'
ports by number instead (podman 4.3 refuses any port mapping in the host's
network, where Kubernetes takes them as the ports the pod opens there).
Needs python3-yaml."""
import argparse
import re
import sys

import yaml


def uncomment(text, name):
    """Uncomments each commented `- name: NAME` block: its first line and the
    commented lines under it that are indented deeper."""
    lines = text.split("\n")
    out, found, i = [], 0, 0
    while i < len(lines):
        m = re.match(r"^(\s*)# - name: (\S+)\s*$", lines[i])
        if not m or m.group(2) != name:
            out.append(lines[i])
            i += 1
            continue
        indent = m.group(1)
        out.append(indent + "- name: " + name)
        found += 1
        i += 1
        while i < len(lines) and lines[i].startswith(indent + "#   "):
            out.append(indent + lines[i][len(indent) + 2:])
            i += 1
    if found == 0:
        sys.exit("pod-from-daemonset: no commented volume %r" % name)
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("daemonset")
    ap.add_argument("--image")
    ap.add_argument("--enable", action="append", default=[])
    ap.add_argument("--host-path", action="append", default=[])
    ap.add_argument("--no-ports", action="store_true")
    a = ap.parse_args()
    with open(a.daemonset) as f:
        text = f.read()
    for name in a.enable:
        text = uncomment(text, name)
    docs = [d for d in yaml.safe_load_all(text) if d]
    ds = [d for d in docs if d.get("kind") == "DaemonSet"]
    if len(ds) != 1:
        sys.exit("pod-from-daemonset: want one DaemonSet in %s" % a.daemonset)
    ds = ds[0]
    tmpl = ds["spec"]["template"]
    meta = {"name": ds["metadata"]["name"]}
    if "namespace" in ds["metadata"]:
        meta["namespace"] = ds["metadata"]["namespace"]
    for k in ("labels", "annotations"):
        if tmpl.get("metadata", {}).get(k):
            meta[k] = tmpl["metadata"][k]
    spec = tmpl["spec"]
    moves = dict(hp.split("=", 1) for hp in a.host_path)
    for v in spec.get("volumes", []):
        hp = v.get("hostPath")
        if hp and hp["path"] in moves:
            hp["path"] = moves.pop(hp["path"])
    if moves:
        sys.exit("pod-from-daemonset: no hostPath %s" % ", ".join(moves))
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        if a.image:
            c["image"] = a.image
        if not a.no_ports:
            continue
        named = {p["name"]: p["containerPort"] for p in c.get("ports", []) if "name" in p}
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            get = c.get(probe, {}).get("httpGet")
            if get and get.get("port") in named:
                get["port"] = named[get["port"]]
        c.pop("ports", None)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    yaml.safe_dump(pod, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
