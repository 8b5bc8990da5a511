/* netns/podman_store: a container's name from containers/storage's
 * containers.json. */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "netns/docker_config.h"
#include "netns/podman_store.h"

static int load_error(const json_error_t *err)
{
	return json_error_code(err) == json_error_out_of_memory ? -ENOMEM : -EINVAL;
}

int netns_podman_name_parse(const char *json, size_t len, const char *id, char *out, size_t cap)
{
	json_error_t err;
	json_t *root, *entry, *found = NULL, *names, *jname;
	size_t i, n, idlen = strlen(id);
	int rc = -EINVAL;

	if (cap > 0)
		out[0] = '\0';
	/* Duplicate keys would let two readers see two different names. */
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		rc = load_error(&err);
		goto out;
	}
	if (!json_is_array(root))
		goto out;
	json_array_foreach(root, i, entry) {
		json_t *jid = json_object_get(entry, "id");

		if (!json_is_object(entry))
			goto out;
		if (!json_is_string(jid) || json_string_length(jid) != idlen ||
		    memcmp(json_string_value(jid), id, idlen) != 0)
			continue;
		/* Two entries with one ID: the file is not what we think. */
		if (found)
			goto out;
		found = entry;
	}
	if (found == NULL) {
		rc = -ENOENT;
		goto out;
	}
	names = json_object_get(found, "names");
	jname = json_array_get(names, 0);
	if (!json_is_string(jname))
		goto out;
	n = json_string_length(jname);
	if (!netns_container_name_ok(json_string_value(jname), n) || n >= cap)
		goto out;
	memcpy(out, json_string_value(jname), n);
	out[n] = '\0';
	rc = 0;
out:
	json_decref(root);
	return rc;
}
