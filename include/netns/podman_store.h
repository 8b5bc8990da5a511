/* netns/podman_store: a Podman (or Buildah, CRI-O) container's name from
 * the containers/storage container list,
 * GRAPHROOT/DRIVER-containers/containers.json (for root,
 * /var/lib/containers/storage/overlay-containers/containers.json).
 *
 * Pure. The file is a JSON array with one object per container:
 *   [{"id":"<64 hex>","names":["web"],"image":"...","layer":"...",
 *     "metadata":"{...}","created":"...","flags":{...}}, ...]
 * containers/storage writes it whole and renames it into place, so a reader
 * sees one version or the other. Parsed with jansson: names, labels and
 * metadata are user-chosen strings. */
#ifndef NETSTAT_NETNS_PODMAN_STORE_H
#define NETSTAT_NETNS_PODMAN_STORE_H

#include <stddef.h>

/* Largest containers.json read (about 500 bytes a container); bigger ones are
 * skipped (no names). */
#define NETNS_PODMAN_STORE_MAX (16u << 20)

/* Copies the first name of container id (64 hex) from a containers.json
 * (len bytes) into out. Only when exactly one entry has that "id" and its
 * first name is one Podman accepts ([a-zA-Z0-9][a-zA-Z0-9_.-]*) and is
 * shorter than cap. 0; -ENOENT when the list is well-formed but does not
 * name that container; -EINVAL for anything else (not a list of objects, a
 * duplicate key, a bad name, too long); -ENOMEM. */
int netns_podman_name_parse(const char *json, size_t len, const char *id, char *out, size_t cap);

#endif
