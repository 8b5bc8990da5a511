/* owners/listen_map: which listening TCP socket a connection arrived on.
 *
 * Request sockets (SYN_RECV) and TIME_WAIT sockets have no inode, so no
 * process holds them; the connection they belong to arrived on a listener,
 * and that listener's program is theirs ("sshd (listener)"). The map holds
 * the listeners of one dump (local address, port, a caller's value: an
 * owner slot, a row index); listen_map_find() picks the one that would
 * have accepted a connection to (address, port): an exact address first,
 * then a wildcard (0.0.0.0 for IPv4, :: for both, as a dual-stack socket
 * takes IPv4 connections too).
 *
 * Pure: no I/O, no locks. listen_map_add() from one thread, then
 * listen_map_freeze(); after that listen_map_find() may run on any number
 * of threads at once. */
#ifndef NETSTAT_OWNERS_LISTEN_MAP_H
#define NETSTAT_OWNERS_LISTEN_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct listen_map_entry {
	uint16_t port;
	uint8_t addr_family; /* AF_INET or AF_INET6, after un-mapping */
	uint8_t addr[16];
	uint32_t value;
};

/* Storage the caller owns; listen_map_fini() frees its entries. */
struct listen_map {
	struct listen_map_entry *e; /* owned */
	size_t n, cap, max;
};

/* max: listeners kept (more are dropped; their connections then have no
 * owner). */
void listen_map_init(struct listen_map *m, size_t max);
void listen_map_fini(struct listen_map *m);
void listen_map_clear(struct listen_map *m);
/* 0, -ENOSPC past max, or -ENOMEM. */
int listen_map_add(struct listen_map *m, uint8_t addr_family, const uint8_t *addr, uint16_t port,
		   uint32_t value);
void listen_map_freeze(struct listen_map *m);
/* The value of the listener covering (addr_family, addr, port) in *value;
 * false when none does. */
bool listen_map_find(const struct listen_map *m, uint8_t addr_family, const uint8_t *addr,
		     uint16_t port, uint32_t *value);

#endif
