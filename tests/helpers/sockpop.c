/* sockpop: builds a known socket population, prints "ready", and holds it
 * until killed. Used by the integration tests and the benchmark.
 *
 *   sockpop SPEC...
 *   L,ADDR,PORT[,BACKLOG]      listening TCP socket (IPv6 "::" is dual-stack)
 *   E,N,SRC,DST,PORT           N established pairs: connect from SRC to DST:PORT,
 *                              accepted on this process's listener of PORT
 *   T,N,SRC,DST,PORT           N client-side TIME_WAIT (client closes first)
 *   X,N,SRC,DST,PORT           N server-side TIME_WAIT (server closes first)
 *   W,N,SRC,DST,PORT           N FIN_WAIT2 (client shut down writing) + N CLOSE_WAIT
 *   K,N,SRC,DST,PORT           N CLOSE_WAIT (the client closed; its end goes to TIME_WAIT)
 *   Q,N,SRC,DST,PORT           N connections left in the listener's accept queue
 *   S,N,SRC,DST,PORT           N non-blocking connects left pending (SYN_SENT
 *                              here; SYN_RECV at the listener if SYN-ACKs are dropped)
 *   U,ADDR,PORT                unconnected UDP socket
 *   C,SRC,DST,PORT[,BYTES]     connected UDP socket; sends one datagram of BYTES
 *   F,N[,NAME]                 forks N children that hold every socket made so far
 *                              (shared sockets, as a forking server's), named NAME
 *                              (their comm) if given; prints "child PID" for each;
 *                              they exit with this process
 * SRC may be "-" for the kernel's choice. Exits 1 with a message on failure. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAX_LISTENERS 64

static struct {
	int fd;
	unsigned port;
} listeners[MAX_LISTENERS];
static int nlisteners;

static void die(const char *what, const char *spec)
{
	fprintf(stderr, "sockpop: %s: %s: %s\n", spec, what, strerror(errno));
	exit(1);
}

static socklen_t make_addr(const char *host, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		return sizeof(*in);
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return sizeof(*in6);
	}
	fprintf(stderr, "sockpop: bad address %s\n", host);
	exit(1);
}

static int listener_of(unsigned port, const char *spec)
{
	for (int i = 0; i < nlisteners; i++)
		if (listeners[i].port == port)
			return listeners[i].fd;
	errno = ENOENT;
	die("no listener on that port in this process", spec);
	return -1;
}

/* A client socket bound to src (port chosen at connect time). */
static int client(const char *src, int family, int type, const char *spec)
{
	int fd = socket(family, type, 0), one = 1;
	struct sockaddr_storage ss;

	if (fd < 0)
		die("socket", spec);
	if (strcmp(src, "-") != 0) {
		socklen_t len = make_addr(src, 0, &ss);
		if (type == SOCK_STREAM)
			setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, len) < 0)
			die("bind", spec);
	}
	return fd;
}

static void do_pairs(char kind, int n, const char *src, const char *dst, unsigned port,
		     const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(dst, port, &ss);
	int lfd = kind == 'S' || kind == 'Q' ? -1 : listener_of(port, spec);

	for (int i = 0; i < n; i++) {
		int c = client(src, ss.ss_family, SOCK_STREAM, spec), a;
		char b;

		if (kind == 'S') {
			fcntl(c, F_SETFL, O_NONBLOCK);
			if (connect(c, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
				die("connect", spec);
			continue;
		}
		if (connect(c, (struct sockaddr *)&ss, len) < 0)
			die("connect", spec);
		if (kind == 'Q')
			continue;
		a = accept(lfd, NULL, NULL);
		if (a < 0)
			die("accept", spec);
		switch (kind) {
		case 'E':
			break;
		case 'T': /* client closes first; server closes on EOF */
			close(c);
			if (read(a, &b, 1) != 0)
				die("read EOF", spec);
			close(a);
			break;
		case 'X': /* server closes first */
			close(a);
			if (read(c, &b, 1) != 0)
				die("read EOF", spec);
			close(c);
			break;
		case 'K': /* the client closed, the server keeps its end */
			close(c);
			if (read(a, &b, 1) != 0)
				die("read EOF", spec);
			break;
		case 'W': /* FIN sent by the client, never by the server */
			shutdown(c, SHUT_WR);
			if (read(a, &b, 1) != 0)
				die("read EOF", spec);
			break;
		}
	}
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		char buf[256], *f[6] = {0};
		int nf = 0;
		struct sockaddr_storage ss;
		socklen_t len;
		int fd, one = 1;

		snprintf(buf, sizeof(buf), "%s", argv[i]);
		for (char *p = strtok(buf, ","); p && nf < 6; p = strtok(NULL, ","))
			f[nf++] = p;
		switch (buf[0]) {
		case 'L':
			if (nf < 3 || nlisteners == MAX_LISTENERS)
				goto usage;
			len = make_addr(f[1], (unsigned)atoi(f[2]), &ss);
			fd = socket(ss.ss_family, SOCK_STREAM, 0);
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 ||
			    listen(fd, nf > 3 ? atoi(f[3]) : 4096) < 0)
				die("listen", argv[i]);
			listeners[nlisteners].fd = fd;
			listeners[nlisteners++].port = (unsigned)atoi(f[2]);
			break;
		case 'E': case 'T': case 'X': case 'W': case 'K': case 'S': case 'Q':
			if (nf != 5)
				goto usage;
			do_pairs(buf[0], atoi(f[1]), f[2], f[3], (unsigned)atoi(f[4]), argv[i]);
			break;
		case 'U':
			if (nf != 3)
				goto usage;
			len = make_addr(f[1], (unsigned)atoi(f[2]), &ss);
			fd = socket(ss.ss_family, SOCK_DGRAM, 0);
			if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0)
				die("udp bind", argv[i]);
			break;
		case 'C':
			if (nf != 4 && nf != 5)
				goto usage;
			len = make_addr(f[2], (unsigned)atoi(f[3]), &ss);
			fd = client(f[1], ss.ss_family, SOCK_DGRAM, argv[i]);
			if (connect(fd, (struct sockaddr *)&ss, len) < 0)
				die("udp connect", argv[i]);
			if (nf == 5) {
				char payload[1024] = {0};
				size_t n = (size_t)atoi(f[4]);
				if (n > sizeof(payload) || send(fd, payload, n, 0) != (ssize_t)n)
					die("udp send", argv[i]);
			}
			break;
		case 'F':
			if (nf != 2 && nf != 3)
				goto usage;
			for (int k = 0; k < atoi(f[1]); k++) {
				int sync[2];
				pid_t child;
				char b = 0;

				fflush(stdout);
				if (pipe(sync) < 0 || (child = fork()) < 0)
					die("fork", argv[i]);
				if (child == 0) {
					prctl(PR_SET_PDEATHSIG, SIGKILL);
					if (nf == 3)
						prctl(PR_SET_NAME, f[2]);
					close(sync[0]);
					if (write(sync[1], &b, 1) != 1) /* named: the parent may say ready */
						_exit(1);
					close(sync[1]);
					for (;;)
						pause();
				}
				close(sync[1]);
				if (read(sync[0], &b, 1) != 1)
					die("child start", argv[i]);
				close(sync[0]);
				printf("child %d\n", (int)child);
			}
			break;
		default:
			goto usage;
		}
	}
	/* Let the last FINs and ACKs land before anyone counts. */
	usleep(200 * 1000);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
usage:
	fprintf(stderr, "sockpop: bad spec (see the comment at the top of sockpop.c)\n");
	return 2;
}
