/* netstat_exporter: command line, signals and lifecycle. Everything else is
 * in the netstat_core library. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/flags.h"
#include "collectors/collector.h"
#include "util/listen_addr.h"
#include "geoip/geoip.h"
#include "http/server.h"
#include "http/web_state.h"
#include "log.h"
#include "netns/table.h"
#include "privs.h"
#include "scrape.h"

/* What privs_drop() must keep for this command line. */
static void privs_needed(const struct config *cfg, struct privs_need *need)
{
	const char *low[CONFIG_MAX_LISTEN + 1];
	size_t n = 0;

	memset(need, 0, sizeof(*need));
	for (size_t i = 0; i < collector_count; i++) {
		if (!cfg->enabled[i])
			continue;
		if (strcmp(collector_registry[i]->name, "processes") == 0)
			need->on[PRIVS_PROCESSES] = true;
		/* The netns collector switches itself off when it sees no
		 * other namespace (netns_init): by the same test, its
		 * capabilities are not kept then. */
		if (strcmp(collector_registry[i]->name, "netns") == 0)
			need->on[PRIVS_NETNS] = netns_table_sees_others(cfg->procfs) == 0;
		if (strcmp(collector_registry[i]->name, "events") == 0)
			need->on[PRIVS_EVENTS] = true;
	}
	/* The explorer attributes every socket to its program itself. */
	need->on[PRIVS_EXPLORER] = cfg->enable_connections;
	for (size_t i = 0; i < cfg->nlisten; i++)
		low[n++] = cfg->listen[i];
	if (cfg->healthz_listen)
		low[n++] = cfg->healthz_listen;
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (listen_addr_parse(low[i], &ss, &len) == 0 &&
		    ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						  : ((struct sockaddr_in6 *)&ss)->sin6_port) < 1024)
			need->on[PRIVS_LOW_PORT] = true;
	}
}

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
	{
		size_t on = 0;

		for (size_t i = 0; i < collector_count; i++)
			on += cfg.enabled[i];
		if (!on)
			log_msg(LOG_WARN, "no collector is enabled (--collector.disable-defaults and no "
					  "--collector.NAME): /metrics serves only the exporter's own metrics");
	}

	/* The web config is checked whole (files, key, hashes) before anything
	 * starts: a mistake is exit status 2 with the key that is wrong. */
	if (cfg.web_config_file) {
		struct web_state *web = NULL;
		int rc = web_state_load(cfg.web_config_file, &web, &err);

		web_state_free(web);
		if (rc) {
			fprintf(stderr, "netstat_exporter: --web.config.file: %s\n",
				err.buf ? err.buf : strerror(-rc));
			status = 2;
			goto out;
		}
	}
	/* Before any thread exists: capabilities are per thread. */
	{
		struct privs_need need;
		int rc;

		privs_needed(&cfg, &need);
		rc = privs_drop(&need, &out);
		if (rc) {
			fprintf(stderr, "netstat_exporter: cannot drop capabilities: %s\n", strerror(-rc));
			goto out;
		}
		log_msg(LOG_INFO, "capabilities kept: %s", out.buf ? out.buf : "none");
		sb_reset(&out);
	}

	/* Block the stop signals before any thread starts, so every thread
	 * inherits the mask and only sigwait() below sees them. SIGPIPE from a
	 * client that hung up must not kill us. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP); /* re-read --web.config.file, reopen GeoIP databases */
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
			http_reload(srv); /* says "web config ... reloaded" when there is one */
		}
		sig = 0;
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
