/* netns/docker_config: a Docker container's name from its
 * /var/lib/docker/containers/<id>/config.v2.json.
 *
 * Pure. Parsed with jansson, not scanned: the file also holds user-chosen
 * strings (labels, environment, commands) and nested objects with their own
 * "Name" keys (volume mounts, networks), so only a real parser can tell the
 * top-level "Name" from the others. */
#ifndef NETSTAT_NETNS_DOCKER_CONFIG_H
#define NETSTAT_NETNS_DOCKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* Largest config.v2.json read; bigger ones are skipped (no name). */
#define NETNS_DOCKER_CONFIG_MAX (1u << 20)

/* Copies the name of container id (64 hex) from its config.v2.json (len
 * bytes) into out: the top-level "Name" without Docker's leading '/'. Only
 * when the top-level "ID" is id and the name is one Docker accepts
 * ([a-zA-Z0-9][a-zA-Z0-9_.-]*) and shorter than cap. 0; -EINVAL for anything
 * else (not JSON, not this container's file, no such name, too long);
 * -ENOMEM. */
/* Whether s[0..n) is a container name as Docker accepts it
 * ([a-zA-Z0-9][a-zA-Z0-9_.-]*); Podman and nerdctl take the same rule. */
bool netns_container_name_ok(const char *s, size_t n);

int netns_docker_name_parse(const char *json, size_t len, const char *id, char *out, size_t cap);

#endif
