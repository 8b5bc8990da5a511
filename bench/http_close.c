/* http_close: the smallest HTTP server for the events benchmark: every
 * request gets "200 ok" and the connection is closed, so each request is one
 * TCP connection (a SYN, a reset-free close, state changes) for the BPF
 * programs to see.
 *
 *   http_close PORT THREADS
 * Each thread has its own SO_REUSEPORT listener and serves one connection
 * at a time; prints "ready" when all listen, runs until killed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

static void *serve(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	char buf[4096];

	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		size_t got = 0;

		if (fd < 0)
			continue;
		while (got < sizeof(buf) - 1) {
			ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);

			if (n <= 0)
				break;
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		if (write(fd, reply, sizeof(reply) - 1) < 0)
			perror("write");
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int port, threads, one = 1;

	if (argc != 3 || (port = atoi(argv[1])) <= 0 || (threads = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: http_close PORT THREADS\n");
		return 1;
	}
	for (int i = 0; i < threads; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		pthread_t t;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4096) < 0 ||
		    pthread_create(&t, NULL, serve, (void *)(intptr_t)fd) != 0) {
			perror("http_close");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
