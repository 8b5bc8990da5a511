/* events/live: the live TCP states per network namespace that the events
 * collector keeps in the kernel, lent to the netns collector
 * (docs/events.md, "Live states").
 *
 * The BPF side counts every full TCP socket of the other namespaces under
 * its current state, from inet_sock_set_state with per-socket storage. A
 * namespace's sockets that existed before the programs were attached are
 * counted by one seed walk of that namespace (an iter/tcp iterator, which
 * takes the namespace it is created in): events_live_iter_open() inside the
 * namespace (netns/handle's opener thread), events_live_seed() later from
 * any thread. Once its walk has run, a namespace's counts are exact (the
 * first of the walk and the events to see a socket counts it; the socket's
 * lock orders them), as long as events_live_trusted() (no socket was left
 * uncounted for want of memory).
 *
 * The events collector publishes its loader at init and withdraws it at
 * fini, when no scrape runs; the rest may be called from any thread. Without
 * the events collector (not built, off, or failed) events_live_on() is
 * false and the rest return -ENOTSUP. */
#ifndef NETSTAT_EVENTS_LIVE_H
#define NETSTAT_EVENTS_LIVE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "events/abi.h"

struct events_loader;

void events_live_publish(struct events_loader *l);
bool events_live_on(void);

/* A seed walk of the calling thread's network namespace, to run later:
 * an fd, or a negative errno. */
int events_live_iter_open(void);
/* Runs namespace ino's walk (reads fd to its end) and closes fd; from then
 * on the sockets it made later are counted without storage. 0 or a negative
 * errno. */
int events_live_seed(int fd, uint64_t ino);

/* The request sockets (SYN_RECV) of the other namespaces: their listeners'
 * SYN queues, read now (one walk of the listeners the BPF side marked when
 * they started listening or at their namespace's seed walk, so whole for a
 * seeded namespace). row() gets each namespace with any, per family
 * (n[0] IPv4, n[1] IPv6: the listener's); one walk at a time. 0 or a
 * negative errno. */
int events_live_syn_recv(void (*row)(void *arg, uint64_t ino, const uint64_t n[2]), void *arg);

/* The counts of namespace ino (all zero when it has none). 0 or -errno. */
int events_live_read(uint64_t ino, struct ev_live *out);
/* Drops namespace ino's counts (it went away). */
void events_live_forget(uint64_t ino);
/* Whether every socket is counted: false once one was left uncounted (no
 * room for its storage or its namespace). */
bool events_live_trusted(void);

#endif
