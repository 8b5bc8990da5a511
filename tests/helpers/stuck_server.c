/* stuck_server: the exporter's real HTTP front end (http_start) over one test
 * collector that blocks until the test lets it go, so integration tests can
 * hold scrapes in flight without any hook in the production code.
 *
 *   stuck_server FIFO [exporter flags...]
 *
 * The collector, "stuck", opens FIFO for reading (blocking until a writer
 * opens it), reads it to end of file and emits test_stuck_bytes (the bytes
 * read) and test_stuck_collections. The flags are the exporter's own
 * (--web.listen-address, --web.max-requests, --web.timeout...); collectors
 * named there are ignored. Signals and shutdown are main.c's: SIGTERM or
 * SIGINT stops it, exit status 0. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/flags.h"
#include "http/server.h"
#include "log.h"
#include "scrape.h"

struct stuck {
	const char *fifo;
	uint64_t collections;
};

static const char *fifo_path;

static int stuck_init(void **state, const struct config *cfg, struct strbuf *err)
{
	struct stuck *st = calloc(1, sizeof(*st));

	(void)cfg;
	(void)err;
	if (!st)
		return -ENOMEM;
	st->fifo = fifo_path;
	*state = st;
	return 0;
}

static int stuck_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	struct stuck *st = state;
	uint64_t bytes = 0;
	char buf[256];
	ssize_t n;
	int fd;

	(void)ctx;
	fd = open(st->fifo, O_RDONLY | O_CLOEXEC); /* blocks until the test opens it to write */
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		bytes += n > 0 ? (uint64_t)n : 0;
	close(fd);
	st->collections++;
	expo_add_u64(expo_family(e, "test_stuck_bytes", EXPO_GAUGE, "Bytes read from the FIFO."),
		     bytes, EXPO_NOLABELS);
	expo_add_u64(expo_family(e, "test_stuck_collections", EXPO_GAUGE, "Collections so far."),
		     st->collections, EXPO_NOLABELS);
	return 0;
}

static void stuck_fini(void *state)
{
	free(state);
}

static const struct collector_ops stuck_collector = {
	.name = "stuck", .help = "blocks on a FIFO", .default_enabled = true,
	.init = stuck_init, .collect = stuck_collect, .fini = stuck_fini,
};

int main(int argc, char **argv)
{
	const struct collector_ops *const list[] = {&stuck_collector};
	struct config cfg;
	struct strbuf out, err;
	struct scrape *scrape = NULL;
	struct http_server *srv = NULL;
	sigset_t stop;
	int sig = 0, status = 1;

	sb_init(&out);
	sb_init(&err);
	if (argc < 2) {
		fprintf(stderr, "usage: stuck_server FIFO [exporter flags...]\n");
		return 2;
	}
	fifo_path = argv[1];
	argv[1] = argv[0];
	if (cli_parse(argc - 1, argv + 1, &cfg, &out, &err) != CLI_RUN) {
		fprintf(stderr, "stuck_server: %s\n", err.buf ? err.buf : "bad usage");
		status = 2;
		goto out;
	}
	log_set_level(cfg.log_level);
	memset(cfg.enabled, 0, sizeof(cfg.enabled));
	cfg.enabled[0] = true;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (scrape_new_with(&cfg, list, 1, &scrape, &err) ||
	    http_start(&cfg, scrape, &srv, &err)) {
		fprintf(stderr, "stuck_server: %s\n", err.buf ? err.buf : "cannot start");
		goto out;
	}
	while (sigwait(&stop, &sig) != 0)
		;
	log_msg(LOG_INFO, "received %s, shutting down", strsignal(sig));
	status = 0;
out:
	http_stop(srv);
	scrape_free(scrape);
	sb_fini(&out);
	sb_fini(&err);
	return status;
}
