/* netstat_events: provokes kernel TCP events the netstat collector must count.
 *
 *   netstat_events overflow PORT N   listener with backlog 1 that never accepts,
 *                                    N clients connecting to it (ListenOverflows)
 *   netstat_events refused PORT N    N connects to a closed port (AttemptFails,
 *                                    OutRsts)
 *   netstat_events hold PORT N       a listener and N established pairs (sockstat
 *                                    inuse = 2N + 1); prints "ready" and holds
 *                                    them until its standard input ends
 *   netstat_events retrans PORT MS   one connection sending 1000 bytes, held MS
 *                                    milliseconds; with the payload dropped by
 *                                    nftables it retransmits (RetransSegs)
 *   netstat_events closes PORT N     N connections the server closes first (FIN),
 *                                    the client after reading the end: each
 *                                    server side ends in TIME_WAIT, its queue
 *                                    purged with the client's FIN in it
 *
 * Every socket but those of closes is closed with SO_LINGER 0 (an RST, no
 * TIME_WAIT), so when the program exits no timer is left to move a counter
 * afterwards. Exits 0 on
 * success, 1 with a message on stderr otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 256

static int die(const char *what)
{
	fprintf(stderr, "netstat_events: %s: %s\n", what, strerror(errno));
	return 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static void abort_close(int fd)
{
	struct linger l = {1, 0};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static int listener(int port, int backlog)
{
	struct sockaddr_in a = loopback(port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, backlog) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connects a client to listener lfd on port and accepts it: 0, or 1 with a
 * message. */
static int connect_pair(int lfd, int port, int *cfd, int *sfd)
{
	struct sockaddr_in a = loopback(port);

	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (*cfd < 0 || connect(*cfd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return die("connect");
	*sfd = accept(lfd, NULL, NULL);
	if (*sfd < 0)
		return die("accept");
	return 0;
}

static int overflow(int port, int n)
{
	int lfd = listener(port, 1), fds[MAX_CLIENTS];
	struct sockaddr_in a = loopback(port);

	if (lfd < 0)
		return die("listen");
	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0)
			return die("socket");
		if (connect(fds[i], (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
			return die("connect");
	}
	sleep_ms(500); /* the handshakes and the drops happen now */
	for (int i = 0; i < n; i++)
		abort_close(fds[i]);
	abort_close(lfd);
	return 0;
}

static int refused(int port, int n)
{
	struct sockaddr_in a = loopback(port);

	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			return die("socket");
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != ECONNREFUSED) {
			fprintf(stderr, "netstat_events: connect to closed port %d was not refused\n", port);
			return 1;
		}
		close(fd);
	}
	return 0;
}

static int hold(int port, int n)
{
	int lfd = listener(port, MAX_CLIENTS), fds[2 * MAX_CLIENTS];
	char c;

	if (lfd < 0)
		return die("listen");
	for (int i = 0; i < n; i++)
		if (connect_pair(lfd, port, &fds[2 * i], &fds[2 * i + 1]))
			return 1;
	printf("ready\n");
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	for (int i = 0; i < 2 * n; i++)
		abort_close(fds[i]);
	abort_close(lfd);
	return 0;
}

static int retrans(int port, long ms)
{
	int lfd = listener(port, 8), cfd, sfd;
	char buf[1000];

	if (lfd < 0)
		return die("listen");
	if (connect_pair(lfd, port, &cfd, &sfd))
		return 1;
	memset(buf, 'x', sizeof(buf));
	if (send(cfd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return die("send");
	sleep_ms(ms);
	abort_close(cfd);
	abort_close(sfd);
	abort_close(lfd);
	return 0;
}

static int closes(int port, int n)
{
	int lfd = listener(port, 8), cfd, sfd;
	char c;

	if (lfd < 0)
		return die("listen");
	for (int i = 0; i < n; i++) {
		if (connect_pair(lfd, port, &cfd, &sfd))
			return 1;
		close(sfd);
		if (read(cfd, &c, 1) != 0)
			return die("read the end");
		close(cfd);
	}
	abort_close(lfd);
	return 0;
}

int main(int argc, char **argv)
{
	int port, n;

	if (argc != 4) {
		fprintf(stderr, "usage: netstat_events overflow|refused|hold|retrans|closes PORT N\n");
		return 2;
	}
	port = atoi(argv[2]);
	n = atoi(argv[3]);
	if (port <= 0 || port > 65535 || n <= 0) {
		fprintf(stderr, "netstat_events: bad PORT or N\n");
		return 2;
	}
	if (strcmp(argv[1], "overflow") == 0)
		return overflow(port, n > MAX_CLIENTS ? MAX_CLIENTS : n);
	if (strcmp(argv[1], "refused") == 0)
		return refused(port, n);
	if (strcmp(argv[1], "hold") == 0)
		return hold(port, n > MAX_CLIENTS ? MAX_CLIENTS : n);
	if (strcmp(argv[1], "retrans") == 0)
		return retrans(port, n);
	if (strcmp(argv[1], "closes") == 0)
		return closes(port, n);
	fprintf(stderr, "netstat_events: unknown event %s\n", argv[1]);
	return 2;
}
