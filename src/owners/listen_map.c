/* owners/listen_map: which listener a connection arrived on. See owners/listen_map.h. */
#include "owners/listen_map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void listen_map_init(struct listen_map *m, size_t max)
{
	memset(m, 0, sizeof(*m));
	m->max = max;
}

void listen_map_fini(struct listen_map *m)
{
	free(m->e);
	m->e = NULL;
	m->n = m->cap = 0;
}

void listen_map_clear(struct listen_map *m)
{
	m->n = 0;
}

int listen_map_add(struct listen_map *m, uint8_t addr_family, const uint8_t *addr, uint16_t port,
		   uint32_t value)
{
	struct listen_map_entry *e;

	if (m->n >= m->max)
		return -ENOSPC;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		e = realloc(m->e, cap * sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		m->e = e;
		m->cap = cap;
	}
	e = &m->e[m->n++];
	memset(e, 0, sizeof(*e));
	e->port = port;
	e->addr_family = addr_family;
	memcpy(e->addr, addr, addr_family == AF_INET ? 4 : 16);
	e->value = value;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct listen_map_entry *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->addr_family != y->addr_family)
		return x->addr_family < y->addr_family ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

void listen_map_freeze(struct listen_map *m)
{
	if (m->n > 1)
		qsort(m->e, m->n, sizeof(*m->e), cmp_entry);
}

static bool is_zero(const uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i])
			return false;
	return true;
}

bool listen_map_find(const struct listen_map *m, uint8_t addr_family, const uint8_t *addr,
		     uint16_t port, uint32_t *value)
{
	size_t lo = 0, hi = m->n, alen = addr_family == AF_INET ? 4 : 16;
	const struct listen_map_entry *wild = NULL;

	while (lo < hi) { /* the first entry of the port */
		size_t mid = lo + (hi - lo) / 2;
		if (m->e[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < m->n && m->e[i].port == port; i++) {
		const struct listen_map_entry *e = &m->e[i];
		size_t elen = e->addr_family == AF_INET ? 4 : 16;

		if (e->addr_family == addr_family && memcmp(e->addr, addr, alen) == 0) {
			*value = e->value;
			return true;
		}
		/* 0.0.0.0 takes IPv4; :: takes both (unless IPV6_V6ONLY,
		 * which the dump does not say; an IPv4 connection then has
		 * no other listener to have come through anyway). */
		if (is_zero(e->addr, elen) && (e->addr_family == AF_INET6 || addr_family == AF_INET) &&
		    (wild == NULL || wild->addr_family == AF_INET6))
			wild = e;
	}
	if (wild)
		*value = wild->value;
	return wild != NULL;
}
