/* Cost of the procfs collectors in-process: microseconds per collect() over
 * --path.procfs (default /proc), for the netstat collector with its name
 * cache warm and cold (a fresh state every call, i.e. naming, regex and
 * allocation each time), and for sockstat and limits.
 *
 *   bench/netstat_collect [PROCFS] [ITERATIONS] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/limits.h"
#include "collectors/netstat.h"
#include "collectors/sockstat.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Microseconds per collect (plus a text render, as a scrape does). */
static double run(const struct collector_ops *c, int dirfd, int iters, int cold)
{
	struct config cfg;
	struct strbuf err, out;
	struct collect_ctx ctx = {dirfd};
	void *st = NULL;
	double t0;

	memset(&cfg, 0, sizeof(cfg));
	sb_init(&err);
	sb_init(&out);
	if (c->init(&st, &cfg, &err) < 0)
		return -1;
	t0 = now();
	for (int i = 0; i < iters; i++) {
		struct expo *e = expo_new();

		if (cold) {
			c->fini(st);
			c->init(&st, &cfg, &err);
		}
		if (!e || c->collect(st, &ctx, e) < 0) {
			fprintf(stderr, "%s: collect failed\n", c->name);
			exit(1);
		}
		sb_reset(&out);
		expo_render(e, EXPO_FMT_TEXT, &out);
		expo_free(e);
	}
	t0 = (now() - t0) / iters * 1e6;
	c->fini(st);
	sb_fini(&err);
	sb_fini(&out);
	return t0;
}

int main(int argc, char **argv)
{
	const char *procfs = argc > 1 ? argv[1] : "/proc";
	int iters = argc > 2 ? atoi(argv[2]) : 2000;
	int fd = open(procfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	double warm, cold;

	if (fd < 0 || iters <= 0) {
		fprintf(stderr, "usage: netstat_collect [PROCFS] [ITERATIONS]\n");
		return 2;
	}
	warm = run(&netstat_collector, fd, iters, 0);
	cold = run(&netstat_collector, fd, iters, 1);
	printf("procfs=%s iterations=%d\n", procfs, iters);
	printf("netstat  warm cache  %8.1f us/collect+render\n", warm);
	printf("netstat  cold state  %8.1f us/collect+render  (cold/warm %.2fx)\n", cold, cold / warm);
	printf("sockstat             %8.1f us/collect+render\n", run(&sockstat_collector, fd, iters, 0));
	printf("limits               %8.1f us/collect+render\n", run(&limits_collector, fd, iters, 0));
	close(fd);
	return 0;
}
