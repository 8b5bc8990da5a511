/* abuser: hostile clients for the abuse test, bounded in count and time.
 *
 *   abuser SECONDS PORT SOURCES MODE:N [MODE:N...]
 *
 * Connects to 127.0.0.1:PORT from SOURCES addresses (127.0.0.2 onwards,
 * round robin) and keeps N connections of each MODE open for SECONDS,
 * opening a new one whenever the server closes one:
 *   idle  connects and sends nothing
 *   slow  sends a request's headers one byte a second, never finishing
 *   tls   sends a TLS handshake record full of garbage, then waits
 *   junk  sends bytes that are not HTTP, then waits
 *   auth  sends one request for /metrics as user alice with a wrong password,
 *         waits for the answer and the close
 * A closed slot is opened again a second later (auth: 0.5 s later, a
 * sustained flood of password checks), so the rate of new connections stays
 * below N (2 N) per second. One poll() loop, no threads. Prints "ready" once
 * every slot's first connection has reached the server (it connected, or the
 * server already ended it), and at the end, per mode, the connections opened
 * and how many of them the server ended, and for auth how many answers were
 * 401 and 503. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { IDLE = 0, SLOW, TLS, JUNK, AUTH, MODE_COUNT };
static const char *const mode_names[MODE_COUNT] = {"idle", "slow", "tls", "junk", "auth"};

#define MAX_SLOTS 8192

struct slot {
	enum mode mode;
	int fd;
	size_t sent;    /* bytes of the mode's script sent */
	double next;    /* when to send the next byte (slow) */
	bool reached;   /* a connection of this slot reached the server */
};

/* alice:wrong */
static const char auth_script[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
				  "Authorization: Basic YWxpY2U6d3Jvbmc=\r\nConnection: close\r\n\r\n";

static const char slow_script[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: "
				  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long opened[MODE_COUNT], ended[MODE_COUNT], next_src, got401, got503;

static int open_one(struct slot *s, int port, int sources)
{
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	s->fd = -1;
	s->next = now_s() + 1.0; /* if this fails, try again in a second */
	if (fd < 0)
		return -1;
	src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(next_src++ % (unsigned long)sources));
	dst.sin_addr.s_addr = htonl(0x7f000001u);
	dst.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	s->fd = fd;
	s->sent = 0;
	s->next = now_s();
	opened[s->mode]++;
	return 0;
}

/* Sends what the mode sends at once (tls, junk, auth). */
static void burst(struct slot *s)
{
	unsigned char buf[600];

	if (s->sent)
		return;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand();
	if (s->mode == AUTH) {
		if (send(s->fd, auth_script, sizeof(auth_script) - 1, MSG_NOSIGNAL) > 0)
			s->sent = sizeof(auth_script) - 1;
		return;
	}
	if (s->mode == TLS) {
		/* handshake record, TLS 1.0 framing, ClientHello type, then noise */
		buf[0] = 0x16, buf[1] = 0x03, buf[2] = 0x01, buf[3] = 0x02, buf[4] = 0x00, buf[5] = 0x01;
	} else {
		memcpy(buf, "\x01\x02 NOT HTTP \xff\xfe\r\n\r\n", 18);
	}
	if (send(s->fd, buf, sizeof(buf), MSG_NOSIGNAL) > 0)
		s->sent = sizeof(buf);
}

int main(int argc, char **argv)
{
	static struct slot slots[MAX_SLOTS];
	static struct pollfd pfd[MAX_SLOTS];
	struct rlimit rl = {MAX_SLOTS + 64, MAX_SLOTS + 64};
	size_t n = 0, reached = 0;
	double end;
	int port, sources;

	if (argc < 5) {
		fprintf(stderr, "usage: abuser SECONDS PORT SOURCES MODE:N...\n");
		return 2;
	}
	end = now_s() + atof(argv[1]);
	port = atoi(argv[2]);
	sources = atoi(argv[3]);
	if (sources < 1 || sources > 200)
		return 2;
	setrlimit(RLIMIT_NOFILE, &rl);
	for (int a = 4; a < argc; a++) {
		char *colon = strchr(argv[a], ':');
		int m = -1, count;

		for (int k = 0; colon && k < MODE_COUNT; k++)
			if (!strncmp(argv[a], mode_names[k], (size_t)(colon - argv[a])))
				m = k;
		count = colon ? atoi(colon + 1) : 0;
		if (m < 0 || count < 0 || n + (size_t)count > MAX_SLOTS) {
			fprintf(stderr, "abuser: bad %s\n", argv[a]);
			return 2;
		}
		for (int i = 0; i < count; i++)
			slots[n++].mode = (enum mode)m;
	}
	for (size_t i = 0; i < n; i++)
		open_one(&slots[i], port, sources);
	while (now_s() < end) {
		double t = now_s();

		for (size_t i = 0; i < n; i++) {
			struct slot *s = &slots[i];

			if (s->fd < 0 && t >= s->next)
				open_one(s, port, sources);
			pfd[i].fd = s->fd;
			pfd[i].events = POLLIN;
			if (s->fd >= 0 && (s->mode == TLS || s->mode == JUNK || s->mode == AUTH) &&
			    !s->sent)
				pfd[i].events |= POLLOUT;
			if (s->fd >= 0 && s->mode == SLOW && t >= s->next)
				pfd[i].events |= POLLOUT;
			if (s->fd >= 0 && !s->reached)
				pfd[i].events |= POLLOUT;
			pfd[i].revents = 0;
		}
		poll(pfd, n, 100);
		for (size_t i = 0; i < n; i++) {
			struct slot *s = &slots[i];
			char buf[4096];

			if (s->fd < 0 || !pfd[i].revents)
				continue;
			if (!s->reached && (pfd[i].revents & (POLLOUT | POLLIN | POLLHUP))) {
				s->reached = true;
				if (++reached == n) {
					printf("ready\n");
					fflush(stdout);
				}
			}
			if (pfd[i].revents & POLLOUT) {
				if (s->mode == SLOW && s->sent < sizeof(slow_script) - 1) {
					if (send(s->fd, slow_script + s->sent, 1, MSG_NOSIGNAL) == 1)
						s->sent++;
					s->next = now_s() + 1.0;
				} else if (s->mode == TLS || s->mode == JUNK || s->mode == AUTH) {
					burst(s);
				}
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);

				if (s->mode == AUTH && r >= 12 && !memcmp(buf, "HTTP/1.1 401", 12))
					got401++;
				if (s->mode == AUTH && r >= 12 && !memcmp(buf, "HTTP/1.1 503", 12))
					got503++;
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) ||
				    (pfd[i].revents & (POLLHUP | POLLERR))) {
					close(s->fd);
					s->fd = -1;
					s->next = now_s() + (s->mode == AUTH ? 0.5 : 1.0);
					ended[s->mode]++;
				}
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (slots[i].fd >= 0)
			close(slots[i].fd);
	for (int m = 0; m < MODE_COUNT; m++)
		if (opened[m])
			printf("%s: %lu opened, %lu ended by the server\n", mode_names[m], opened[m],
			       ended[m]);
	if (opened[AUTH])
		printf("auth: %lu answered 401, %lu answered 503\n", got401, got503);
	return 0;
}
