# The Kubernetes manifests, without a cluster: `kubectl apply -f
# deploy/kubernetes/` takes every .yaml, .yml and .json file directly in the
# directory, so each must be a Kubernetes object (apiVersion and kind at the
# top level, not a Prometheus config or a kustomization), and the
# kustomization must still list them for `kubectl apply -k`. The pod-logs
# hostPath must not keep the pod from starting where the directory is
# missing. (deploy/kubernetes/check.sh runs the pod under podman; minutes,
# so not here.)
source "$(dirname "$0")/../lib/common.sh"

K="$SRC/deploy/kubernetes"
n=0
for f in "$K"/*.yaml "$K"/*.yml "$K"/*.json; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	name=$(basename "$f")
	grep -q '^apiVersion: [a-z0-9.]*/\{0,1\}v[0-9a-z]*$' "$f" || fail "$name: no top-level apiVersion"
	kind=$(sed -n 's/^kind: *//p' "$f")
	[ -n "$kind" ] || fail "$name: no top-level kind"
	[ "$kind" != Kustomization ] || fail "$name: a kustomization, which kubectl apply -f cannot apply"
done
[ "$n" = 3 ] || fail "deploy/kubernetes holds $n manifests, want 3 (DaemonSet, Service, ServiceMonitor)"

# kustomize's extension-less name, which kubectl apply -f skips.
[ -f "$K/Kustomization" ] || fail "no deploy/kubernetes/Kustomization"
for f in "$K"/*.yaml; do
	grep -qx "  - $(basename "$f")" "$K/Kustomization" || fail "Kustomization does not list $(basename "$f")"
done

# The pod-logs volume: the kubelet makes the directory where it is missing.
t=$(awk '/^        - name: pod-logs$/ { v = 1; next } v && /^        - name:/ { v = 0 }
	v && /^ *type:/ { print $2 }' "$K/daemonset.yaml")
[ "$t" = DirectoryOrCreate ] || fail "the pod-logs hostPath has type '$t', want DirectoryOrCreate"

# The scrape job for Prometheus without the Operator lives with the other
# Prometheus files.
grep -q '^scrape_configs:' "$SRC/deploy/prometheus/kubernetes-scrape-job.yml" ||
	fail "deploy/prometheus/kubernetes-scrape-job.yml is not a scrape configuration"
echo "manifests: $n Kubernetes objects in deploy/kubernetes, Kustomization lists them, pod-logs DirectoryOrCreate"
