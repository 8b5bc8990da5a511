/* procfs/sockstat_parse: pure parser for /proc/net/sockstat and sockstat6.
 *
 *     sockets: used 11
 *     TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 110
 *
 * Each line is "PROTO:" then key/value pairs. Strings point into the text
 * given. On malformed input nothing is appended, the result is -EINVAL and err
 * says where and what. */
#ifndef NETSTAT_PROCFS_SOCKSTAT_PARSE_H
#define NETSTAT_PROCFS_SOCKSTAT_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "util/numbers.h"

struct sockstat_stat {
	const char *proto; /* "TCP6", borrowed from the text, not NUL-terminated */
	const char *key;   /* "inuse", likewise */
	size_t proto_len;
	size_t key_len;
	uint64_t value;    /* as printed (pages for "mem", bytes for "memory") */
};

struct sockstat_list {
	struct sockstat_stat *v; /* owned array */
	size_t len;
	size_t cap;
};

void sockstat_list_init(struct sockstat_list *l);
void sockstat_list_fini(struct sockstat_list *l);

/* Returns 0, -EINVAL (err filled) or -ENOMEM. */
int sockstat_parse(const char *text, size_t len, struct sockstat_list *out,
		   struct parse_error *err);

#endif
