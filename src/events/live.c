/* events/live: the live states lent to the netns collector. See the header. */
#include "events/live.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#ifdef NETSTAT_HAVE_EVENTS
#include "events/loader.h"
#endif

static _Atomic(struct events_loader *) published;

void events_live_publish(struct events_loader *l)
{
	atomic_store(&published, l);
}

#ifdef NETSTAT_HAVE_EVENTS

static struct events_loader *loader(void)
{
	struct events_loader *l = atomic_load(&published);

	return l && events_loader_live_on(l) ? l : NULL;
}

bool events_live_on(void)
{
	return loader() != NULL;
}

int events_live_iter_open(void)
{
	struct events_loader *l = loader();

	return l ? events_loader_live_iter(l) : -ENOTSUP;
}

int events_live_seed(int fd, uint64_t ino)
{
	struct events_loader *l = loader();
	char buf[256];
	ssize_t n;
	int ret = 0;

	/* The program prints nothing: each read runs it over a batch. */
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
	}
	close(fd);
	if (ret == 0)
		ret = l ? events_loader_live_seeded(l, ino) : -ENOTSUP;
	return ret;
}

int events_live_syn_recv(void (*row)(void *arg, uint64_t ino, const uint64_t n[2]), void *arg)
{
	static pthread_mutex_t one_walk = PTHREAD_MUTEX_INITIALIZER;
	struct events_loader *l = loader();
	int ret;

	if (l == NULL)
		return -ENOTSUP;
	pthread_mutex_lock(&one_walk); /* the sums' map is one for all */
	ret = events_loader_live_queues(l, row, arg);
	pthread_mutex_unlock(&one_walk);
	return ret;
}

int events_live_read(uint64_t ino, struct ev_live *out)
{
	struct events_loader *l = loader();

	return l ? events_loader_live_read(l, ino, out) : -ENOTSUP;
}

void events_live_forget(uint64_t ino)
{
	struct events_loader *l = loader();

	if (l)
		events_loader_live_forget(l, ino);
}

bool events_live_trusted(void)
{
	struct events_loader *l = loader();

	return l && events_loader_live_lost(l) == 0;
}

#else /* built without the events collector */

bool events_live_on(void)
{
	return false;
}

int events_live_iter_open(void)
{
	return -ENOTSUP;
}

int events_live_seed(int fd, uint64_t ino)
{
	(void)ino;
	close(fd);
	return -ENOTSUP;
}

int events_live_syn_recv(void (*row)(void *arg, uint64_t ino, const uint64_t n[2]), void *arg)
{
	(void)row;
	(void)arg;
	return -ENOTSUP;
}

int events_live_read(uint64_t ino, struct ev_live *out)
{
	(void)ino;
	(void)out;
	return -ENOTSUP;
}

void events_live_forget(uint64_t ino)
{
	(void)ino;
}

bool events_live_trusted(void)
{
	return false;
}

#endif
