/* traffic: moves data between sockets in known ways, prints "ready" once every
 * connection is up and every datagram sent, and keeps going until killed or
 * its time is up. Used by the service-health test and fixture recording.
 *
 *   traffic [-t SECONDS] SPEC...       (-t: lifetime, default 30, at most 120)
 *   sink,ADDR,PORT                     TCP listener; reads and discards everything
 *   stall,ADDR,PORT                    TCP listener; accepts, never reads
 *   send,N,SRC,DST,PORT[,SNDBUF]       N TCP connections sending as fast as the
 *                                      network takes it (SRC "-": kernel's choice);
 *                                      SNDBUF caps the bytes in flight (SO_SNDBUF)
 *   udprecv,ADDR,PORT,RCVBUF           UDP socket with SO_RCVBUF, never reads
 *   udpsend,SRC,DST,PORT,COUNT,SIZE    sends COUNT datagrams of SIZE bytes at once
 *   udpstream,SRC,DST,PORT,RATE,SIZE   sends RATE datagrams of SIZE bytes a second
 * IPv4 addresses only. Exits 1 with a message on failure. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 1024

enum role { SINK_LISTEN = 0, SINK, STALL_LISTEN, STALL, SENDER, ROLE_COUNT };

#define MAX_STREAMS 16

static struct pollfd pfd[MAX_FDS];
static struct stream {
	int fd;
	struct sockaddr_in dst;
	size_t size;
	unsigned rate;
	uint64_t sent;
} streams[MAX_STREAMS];
static int nstreams;
static enum role role[MAX_FDS];
static int nfds;

static void die(const char *what, const char *spec)
{
	fprintf(stderr, "traffic: %s: %s: %s\n", spec, what, strerror(errno));
	exit(1);
}

static void add(int fd, enum role r, short events)
{
	if (nfds == MAX_FDS) {
		errno = EMFILE;
		die("too many sockets", "add");
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	pfd[nfds] = (struct pollfd){.fd = fd, .events = events};
	role[nfds++] = r;
}

static struct sockaddr_in addr(const char *host, unsigned port, const char *spec)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	if (strcmp(host, "-") != 0 && inet_pton(AF_INET, host, &in.sin_addr) != 1) {
		errno = EINVAL;
		die("bad IPv4 address", spec);
	}
	return in;
}

static int sock(int type, const char *src, const char *spec)
{
	int fd = socket(AF_INET, type, 0), one = 1;
	struct sockaddr_in a;

	if (fd < 0)
		die("socket", spec);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (src != NULL && strcmp(src, "-") != 0) {
		a = addr(src, 0, spec);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("bind", spec);
	}
	return fd;
}

static void listener(char *host, char *port, enum role r, const char *spec)
{
	int fd = sock(SOCK_STREAM, NULL, spec);
	struct sockaddr_in a = addr(host, (unsigned)atoi(port), spec);

	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0)
		die("listen", spec);
	add(fd, r, POLLIN);
}

static char payload[65536];

static void setup(char *spec)
{
	char copy[256], *f[8];
	int n = 0;

	snprintf(copy, sizeof(copy), "%s", spec);
	for (char *p = strtok(copy, ","); p && n < 8; p = strtok(NULL, ","))
		f[n++] = p;
	errno = EINVAL;
	if (n == 3 && strcmp(f[0], "sink") == 0) {
		listener(f[1], f[2], SINK_LISTEN, spec);
	} else if (n == 3 && strcmp(f[0], "stall") == 0) {
		listener(f[1], f[2], STALL_LISTEN, spec);
	} else if ((n == 5 || n == 6) && strcmp(f[0], "send") == 0) {
		struct sockaddr_in dst = addr(f[3], (unsigned)atoi(f[4]), spec);
		for (int i = 0; i < atoi(f[1]); i++) {
			int fd = sock(SOCK_STREAM, f[2], spec), sz = n == 6 ? atoi(f[5]) : 0;
			if (sz > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) < 0)
				die("SO_SNDBUF", spec);
			if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
				die("connect", spec);
			add(fd, SENDER, POLLOUT);
		}
	} else if (n == 4 && strcmp(f[0], "udprecv") == 0) {
		int fd = sock(SOCK_DGRAM, NULL, spec), sz = atoi(f[3]);
		struct sockaddr_in a = addr(f[1], (unsigned)atoi(f[2]), spec);
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0 ||
		    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("udp bind", spec);
		/* Never read: not polled. */
	} else if (n == 6 && strcmp(f[0], "udpsend") == 0) {
		int fd = sock(SOCK_DGRAM, f[1], spec);
		struct sockaddr_in dst = addr(f[2], (unsigned)atoi(f[3]), spec);
		size_t size = (size_t)atoi(f[5]);
		if (size > sizeof(payload))
			die("datagram too big", spec);
		for (int i = 0; i < atoi(f[4]); i++)
			if (sendto(fd, payload, size, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
				die("sendto", spec);
	} else if (n == 6 && strcmp(f[0], "udpstream") == 0 && nstreams < MAX_STREAMS) {
		struct stream *st = &streams[nstreams++];
		st->fd = sock(SOCK_DGRAM, f[1], spec);
		st->dst = addr(f[2], (unsigned)atoi(f[3]), spec);
		st->rate = (unsigned)atoi(f[4]);
		st->size = (size_t)atoi(f[5]);
		if (st->size > sizeof(payload) || st->rate == 0 || st->rate > 100000)
			die("bad size or rate", spec);
	} else {
		die("bad spec", spec);
	}
}

int main(int argc, char **argv)
{
	int first = 1, lifetime = 30;
	struct timespec start;
	time_t end;

	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		lifetime = atoi(argv[2]);
		first = 3;
	}
	if (lifetime < 1 || lifetime > 120 || first >= argc) {
		fprintf(stderr, "usage: traffic [-t SECONDS] SPEC...\n");
		return 2;
	}
	for (int i = first; i < argc; i++)
		setup(argv[i]);
	printf("ready\n");
	fflush(stdout);
	end = time(NULL) + lifetime;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (time(NULL) < end) {
		int nf = nfds;
		struct timespec now;
		double elapsed;
		if (poll(pfd, (nfds_t)nf, nstreams ? 20 : 200) < 0 && errno != EINTR)
			die("poll", "main");
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
		for (int i = 0; i < nstreams; i++) {
			struct stream *st = &streams[i];
			while ((double)st->sent < elapsed * st->rate) {
				if (sendto(st->fd, payload, st->size, 0, (struct sockaddr *)&st->dst,
					   sizeof(st->dst)) < 0 && errno != EAGAIN && errno != ENOBUFS)
					die("sendto", "udpstream");
				st->sent++;
			}
		}
		for (int i = 0; i < nf; i++) {
			char buf[65536];
			int c;
			if (!(pfd[i].revents & (pfd[i].events | POLLERR | POLLHUP)))
				continue;
			switch (role[i]) {
			case SINK_LISTEN:
			case STALL_LISTEN:
				c = accept(pfd[i].fd, NULL, NULL);
				if (c >= 0)
					add(c, role[i] == SINK_LISTEN ? SINK : STALL,
					    role[i] == SINK_LISTEN ? POLLIN : 0);
				break;
			case SINK:
				if (read(pfd[i].fd, buf, sizeof(buf)) == 0)
					pfd[i].events = 0; /* peer closed: keep the socket */
				break;
			case SENDER:
				if (write(pfd[i].fd, payload, sizeof(payload)) < 0 &&
				    errno != EAGAIN && errno != EINTR)
					pfd[i].events = 0;
				break;
			default:
				break;
			}
		}
	}
	return 0;
}
