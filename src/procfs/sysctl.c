/* procfs/sysctl: sysctls more than one collector reads. See procfs/sysctl.h. */
#include "procfs/sysctl.h"

#include <errno.h>

#include "util/strbuf.h"
#include "procfs/reader.h"

/* The file is one short line; anything much longer is not it. */
#define PORT_RANGE_CAP 64

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int sysctl_parse_port_range(const char *text, size_t len, struct sysctl_port_range *out,
			    struct parse_error *err)
{
	uint64_t v[2];
	size_t i = 0;
	int rc = -EINVAL;

	err->line = 1;
	err->what = NULL;
	if (len > 0 && text[len - 1] == '\n')
		len--;
	for (int k = 0; k < 2; k++) {
		size_t start;

		while (i < len && is_blank(text[i]))
			i++;
		start = i;
		while (i < len && text[i] >= '0' && text[i] <= '9')
			i++;
		if (i == start) {
			err->what = i == len ? "fewer than two values" : "non-numeric value";
			goto out;
		}
		if (num_parse_u64(text + start, i - start, &v[k]) < 0 || v[k] > 65535) {
			err->what = "port out of range (0-65535)";
			goto out;
		}
		if (i < len && !is_blank(text[i])) {
			err->what = "non-numeric value";
			goto out;
		}
	}
	while (i < len && is_blank(text[i]))
		i++;
	if (i != len) {
		err->what = "more than two values";
		goto out;
	}
	if (v[0] > v[1]) {
		err->what = "first port above last port";
		goto out;
	}
	out->lo = (unsigned)v[0];
	out->hi = (unsigned)v[1];
	rc = 0;
out:
	return rc;
}

int sysctl_read_port_range(int procfs_fd, struct sysctl_port_range *out,
			   struct parse_error *err)
{
	struct strbuf sb;
	int rc;

	err->line = 0;
	err->what = NULL;
	sb_init(&sb);
	rc = procfs_read(procfs_fd, SYSCTL_PORT_RANGE_PATH, PORT_RANGE_CAP, &sb);
	if (rc == 0)
		rc = sysctl_parse_port_range(sb.buf ? sb.buf : "", sb.len, out, err);
	sb_fini(&sb);
	return rc;
}
