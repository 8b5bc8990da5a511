/* netns/table: the other network namespaces the exporter keeps, and their
 * handles' lifecycle.
 *
 * Every scrape, netns_table_refresh() discovers the namespaces
 * (netns/discovery), adds an entry for each new one, frees the entries of
 * those no longer seen (closing their handles: a handle pins its namespace),
 * opens a handle (netns/handle) in each new one, or again in one whose
 * handle died (a refusal for lack of privilege is retried once a minute),
 * and derives each namespace's identity (netns/identity) when its oldest
 * process changed. Each entry carries data_size bytes of the user's (the
 * collector's per-namespace results), zeroed and set up by data_init when
 * the entry is made, and data_fini'ed when it goes. Not thread-safe: one
 * caller at a time (the scrape); the entries may be read from the dump
 * threads between refreshes. */
#ifndef NETSTAT_NETNS_TABLE_H
#define NETSTAT_NETNS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netns/discovery.h"
#include "netns/handle.h"
#include "netns/identity.h"
#include "util/clock.h"

/* One namespace, kept across scrapes while it is seen. */
struct netns_entry {
	uint64_t ino;
	int pid;                 /* oldest member; 0: none */
	uint64_t start;
	char name[NETNS_NAME_MAX];
	struct netns_handle h;
	double open_time;        /* last open attempt; 0: never */
	double first_seen;       /* clock seconds */
	struct netns_identity id;
	int id_pid;              /* the pid id was derived from */
	char label[24];          /* ino in decimal */
	void *data;              /* the user's data_size bytes; owned by the entry */
};

struct netns_table_opts {
	const char *procfs;      /* --path.procfs (opening handles by path) */
	const char *run_dir;     /* named namespaces; NULL: none */
	struct netns_identity_opts id;
	size_t data_size;
	void (*data_init)(void *data); /* may be NULL */
	void (*data_fini)(void *data); /* may be NULL */
	util_clock_fn clock;
};

struct netns_table {
	struct netns_table_opts o;
	struct netns_entry **v;  /* sorted by ino */
	size_t len;
	struct netns_list found; /* the last discovery */
	uint64_t init_ino;       /* the init namespace (PID 1's under procfs); 0: unknown */
	int self_ehash;          /* the exporter's own tcp_ehash_entries; 0: unknown */
	bool warned_open;
};

void netns_table_init(struct netns_table *t, const struct netns_table_opts *o);
void netns_table_fini(struct netns_table *t);

/* Brings the table in line with the namespaces seen now under procfs_fd
 * (see above). 0, or a negative errno (logged; the table is as it was). */
int netns_table_refresh(struct netns_table *t, int procfs_fd);

/* The entry of namespace ino, or NULL (a binary search: v is sorted). */
struct netns_entry *netns_table_find(const struct netns_table *t, uint64_t ino);

/* Whether e is still there: a process the last discovery found in it is
 * still in it, or its named bind mount still is. A namespace that vanished
 * during a scrape is left out of it. */
bool netns_table_still_there(const struct netns_table *t, int procfs_fd,
			     const struct netns_entry *e);

/* Whether the exporter can see other network namespaces: it runs in the
 * host's PID namespace, or some process it sees is in another network
 * namespace. 0, or -ESRCH. */
int netns_table_sees_others(const char *procfs);

/* Each namespace keeps two fds: raises the soft open-file limit to the hard
 * one (the default 1024 would cap us near 500 namespaces). */
void netns_table_raise_fd_limit(void);

#endif
