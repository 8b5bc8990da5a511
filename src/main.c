/* netstat_exporter: command line, signals and lifecycle. Everything else is
 * in the netstat_core library. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/flags.h"
#include "geoip/geoip.h"
#include "http/server.h"
#include "log.h"
#include "scrape.h"

int main(int argc, char **argv)
{
	struct config cfg;
	struct strbuf out, err;
	struct scrape *scrape = NULL;
	struct http_server *srv = NULL;
	sigset_t stop;
	int sig = 0, status = 1;

	sb_init(&out);
	sb_init(&err);
	switch (cli_parse(argc, argv, &cfg, &out, &err)) {
	case CLI_EXIT:
		status = 0;
		/* One write, so `--help | grep -q` never meets a closed pipe
		 * (stdio would split the text at its 4 KiB buffer). */
		if (out.len && write(STDOUT_FILENO, out.buf, out.len) != (ssize_t)out.len)
			status = 1;
		goto out;
	case CLI_ERROR:
		fprintf(stderr, "netstat_exporter: %s (see --help)\n", err.buf ? err.buf : "bad usage");
		status = 2;
		goto out;
	default:
		break;
	}
	log_set_level(cfg.log_level);

	/* Block the stop signals before any thread starts, so every thread
	 * inherits the mask and only sigwait() below sees them. SIGPIPE from a
	 * client that hung up must not kill us. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP); /* reopen the GeoIP databases */
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (scrape_new(&cfg, &scrape, &err)) {
		fprintf(stderr, "netstat_exporter: %s (see --help)\n",
			err.buf ? err.buf : "cannot initialise collectors");
		status = err.buf ? 2 : 1;
		goto out;
	}
	if (http_start(&cfg, scrape, &srv, &err)) {
		log_msg(LOG_ERROR, "%s", err.buf ? err.buf : "cannot start HTTP server");
		goto out;
	}
	log_msg(LOG_INFO, "netstat_exporter started; metrics at %s", cfg.telemetry_path);
	while (sigwait(&stop, &sig) != 0 || sig == SIGHUP) {
		if (sig == SIGHUP) {
			log_msg(LOG_INFO, "received SIGHUP, reopening GeoIP databases");
			geoip_request_reload();
			sig = 0;
		}
	}
	log_msg(LOG_INFO, "received %s, shutting down", strsignal(sig));
	status = 0;
out:
	http_stop(srv);
	scrape_free(scrape);
	sb_fini(&out);
	sb_fini(&err);
	return status;
}
