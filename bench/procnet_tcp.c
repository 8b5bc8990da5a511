/* procnet_tcp: cAdvisor's method for per-container TCP state counts, as the
 * baseline of the netns benchmark. For each PID given (one process per
 * network namespace), read /proc/PID/net/tcp and /proc/PID/net/tcp6 whole and
 * parse every line's state field (cAdvisor's scanTCPStats does the same, with
 * a line scanner and strconv); prints the median wall time of RUNS passes
 * over all PIDs.
 *
 *   procnet_tcp RUNS PID...   -> "procnet_ms=12.345 cpu_ms=11.2 sockets=100012"
 * (cpu_ms: the median CPU time of a pass, user and system: on a loaded
 * machine it moves less than the wall time). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *buf;
static size_t cap;

/* Whole file into buf; its length, or -1. */
static ssize_t slurp(const char *path)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n;
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			if (buf == NULL)
				exit(1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return (ssize_t)len;
}

/* "  0: 0100007F:1F90 00000000:0000 0A ..." -> state 0x0A; per line. */
static uint64_t count(size_t len, uint64_t states[16])
{
	uint64_t n = 0;
	char *p = buf, *end = buf + len;

	p = memchr(p, '\n', len); /* the header */
	while (p != NULL && ++p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *f = p;
		int field = 0;
		if (nl == NULL)
			nl = end;
		/* the 4th whitespace-separated field is the state */
		while (f < nl && field < 4) {
			while (f < nl && *f == ' ')
				f++;
			if (++field == 4)
				break;
			while (f < nl && *f != ' ')
				f++;
		}
		if (field == 4) {
			unsigned long st = strtoul(f, NULL, 16);
			states[st & 15]++;
			n++;
		}
		p = nl;
	}
	return n;
}

static double clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 0;
	double *t, *c;
	uint64_t sockets = 0;

	if (runs < 1 || argc < 3) {
		fprintf(stderr, "usage: procnet_tcp RUNS PID...\n");
		return 2;
	}
	t = calloc((size_t)runs, sizeof(*t));
	c = calloc((size_t)runs, sizeof(*c));
	if (t == NULL || c == NULL)
		return 1;
	for (int r = 0; r < runs; r++) {
		uint64_t states[16] = {0};
		double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
		sockets = 0;
		for (int i = 2; i < argc; i++) {
			static const char *const files[] = {"tcp", "tcp6"};
			for (int f = 0; f < 2; f++) {
				char path[64];
				ssize_t len;
				snprintf(path, sizeof(path), "/proc/%s/net/%s", argv[i], files[f]);
				len = slurp(path);
				if (len > 0)
					sockets += count((size_t)len, states);
			}
		}
		t[r] = clock_ms(CLOCK_MONOTONIC) - t0;
		c[r] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp);
	qsort(c, (size_t)runs, sizeof(*c), cmp);
	printf("procnet_ms=%.3f cpu_ms=%.3f sockets=%llu\n", t[runs / 2], c[runs / 2],
	       (unsigned long long)sockets);
	free(t);
	free(c);
	free(buf);
	return 0;
}
