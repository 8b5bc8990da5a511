/* netns/docker_config: Docker's container name from config.v2.json. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "netns/docker_config.h"

/* Docker's own rule for names (daemon/names: [a-zA-Z0-9][a-zA-Z0-9_.-]+). */
bool netns_container_name_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

int netns_docker_name_parse(const char *json, size_t len, const char *id, char *out, size_t cap)
{
	json_error_t err;
	json_t *root, *jid, *jname;
	const char *name;
	size_t n;
	int rc = -EINVAL;

	if (cap > 0)
		out[0] = '\0';
	/* Duplicate keys would let two readers see two different names. */
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		if (json_error_code(&err) == json_error_out_of_memory)
			rc = -ENOMEM;
		goto out;
	}
	jid = json_object_get(root, "ID");
	jname = json_object_get(root, "Name");
	if (!json_is_string(jid) || json_string_length(jid) != strlen(id) ||
	    strcmp(json_string_value(jid), id) != 0 || !json_is_string(jname))
		goto out;
	name = json_string_value(jname);
	n = json_string_length(jname);
	if (n > 0 && name[0] == '/') {
		name++;
		n--;
	}
	if (!netns_container_name_ok(name, n) || n >= cap)
		goto out;
	memcpy(out, name, n);
	out[n] = '\0';
	rc = 0;
out:
	json_decref(root);
	return rc;
}
