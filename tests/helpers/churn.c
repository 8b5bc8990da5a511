/* churn: opens and closes loopback TCP connections without end, leaving
 * sockets in every state a connection passes through, prints "ready" once
 * HOLD connections are open, and goes on until killed (SIGSTOP pauses it).
 * Used by the live-states test.
 *
 *   churn ADDR PORT HOLD RATE
 * Listens on ADDR:PORT and keeps HOLD connections to it open; each new one
 * (RATE per second) retires the oldest, in turn: the client closes first
 * (client TIME_WAIT), the server closes first (server TIME_WAIT), the server
 * closes and the client keeps its end (CLOSE_WAIT) until retired from a
 * second ring of HOLD/4, or the client closes and the server keeps its end
 * likewise. No shutdown(): a half-closed socket counted by storage whose
 * FIN_WAIT1 -> FIN_WAIT2 no program sees stays counted in FIN_WAIT1 until its
 * next change (docs/events.md, "Live states"), which the test of exact live
 * counts would trip on. IPv4 only. Exits 1 with a message on failure. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct pair {
	int c, s;
};

static void die(const char *what)
{
	fprintf(stderr, "churn: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void close_pair(struct pair *p)
{
	if (p->c >= 0)
		close(p->c);
	if (p->s >= 0)
		close(p->s);
	p->c = p->s = -1;
}

static struct pair open_pair(int lfd, const struct sockaddr_in *sa)
{
	struct pair p;

	p.c = socket(AF_INET, SOCK_STREAM, 0);
	if (p.c < 0)
		die("socket");
	if (connect(p.c, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		die("connect");
	p.s = accept(lfd, NULL, NULL);
	if (p.s < 0)
		die("accept");
	return p;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct pair *ring, *half;
	struct timespec gap;
	unsigned long hold, rate, nhalf, i = 0, h = 0;
	int lfd, one = 1;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: churn ADDR PORT HOLD RATE\n");
		return 1;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	hold = strtoul(argv[3], NULL, 10);
	rate = strtoul(argv[4], NULL, 10);
	if (hold < 4 || rate < 1 || rate > 100000) {
		fprintf(stderr, "churn: HOLD at least 4, RATE 1..100000\n");
		return 1;
	}
	nhalf = hold / 4;
	ring = calloc(hold, sizeof(*ring));
	half = calloc(nhalf, sizeof(*half));
	if (ring == NULL || half == NULL)
		die("calloc");
	for (unsigned long k = 0; k < nhalf; k++)
		half[k].c = half[k].s = -1;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1024) < 0)
		die("listen");
	for (unsigned long k = 0; k < hold; k++)
		ring[k] = open_pair(lfd, &sa);
	printf("ready\n");
	fflush(stdout);
	gap.tv_sec = (time_t)(1 / rate);
	gap.tv_nsec = (long)(1000000000UL / rate % 1000000000UL);
	for (;; i = (i + 1) % hold) {
		struct pair *p = &ring[i];

		switch (i % 4) {
		case 0: /* client first */
			close(p->c);
			close(p->s);
			break;
		case 1: /* server first */
			close(p->s);
			close(p->c);
			break;
		case 2: /* server gone, client keeps its end: CLOSE_WAIT */
		case 3: /* client gone, server keeps its end: CLOSE_WAIT */
			close_pair(&half[h]);
			if (i % 4 == 2) {
				close(p->s);
				p->s = -1;
			} else {
				close(p->c);
				p->c = -1;
			}
			half[h] = *p;
			h = (h + 1) % nhalf;
			break;
		}
		*p = open_pair(lfd, &sa);
		nanosleep(&gap, NULL);
	}
}
