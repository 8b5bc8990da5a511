/* http_epoll: the HTTP server of the events benchmark: as small and fast as
 * a server can be, so that the kernel's connection handling (what the BPF
 * programs add to) is most of its cost. Each request gets "200 ok" and the
 * connection is closed: one TCP connection per request.
 *
 *   http_epoll ADDR PORT THREADS
 * Each thread has its own SO_REUSEPORT listener and epoll set: it accepts
 * every pending connection (non-blocking), reads the request (at once when
 * it is there, else when epoll says so), writes the reply and closes.
 * Requests are assumed to arrive in one segment (wrk's GET does); a read
 * that ends without a blank line is answered anyway. Prints "ready" once
 * every thread listens; runs until killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

/* Reads the request on fd and answers it: 1 when done (fd closed), 0 when
 * nothing has arrived yet. */
static int serve(int fd)
{
	char buf[2048];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n > 0 && write(fd, reply, sizeof(reply) - 1) < 0)
		n = -1;
	close(fd);
	return 1;
}

static void *loop(void *arg)
{
	int lfd = (int)(intptr_t)arg, ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd}, evs[256];

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
		perror("http_epoll: epoll");
		exit(1);
	}
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd != lfd) {
				serve(fd); /* readable: read, answer, close */
				continue;
			}
			while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				struct epoll_event c = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = fd};

				if (serve(fd) == 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &c) < 0)
					close(fd);
			}
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int port, threads, one = 1;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1 ||
	    (port = atoi(argv[2])) <= 0 || (threads = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: http_epoll ADDR PORT THREADS\n");
		return 1;
	}
	a.sin_port = htons((uint16_t)port);
	for (int i = 0; i < threads; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		pthread_t t;

		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4096) < 0 ||
		    pthread_create(&t, NULL, loop, (void *)(intptr_t)fd) != 0) {
			perror("http_epoll");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
