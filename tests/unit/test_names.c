/* Family names have one owner (collector.h, .owns): a kernel field whose
 * generated name another collector owns is left out alone, the rest of its
 * collector stays, and the scrape says how many it left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/netstat.h"
#include "collectors/sockets.h"
#include "scrape.h"

static bool has(const char *text, const char *line)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "\n%s\n", line);
	return strstr(text, buf) != NULL;
}

#define HAS(t, l) do { if (!has(t, l)) fail_msg("missing: %s\n--- got:\n%s", l, t); } while (0)

/* The netstat collector first, so it would also win a first-come rule. */
static char *scrape_tree(const char *tree)
{
	const struct collector_ops *const list[] = {&netstat_collector, &sockets_collector};
	char procfs[512];
	struct config cfg;
	struct scrape *s;
	struct strbuf err, sb;
	struct scrape_result *r;

	snprintf(procfs, sizeof(procfs), "%s/procfs/%s", FIXTURES_DIR, tree);
	memset(&cfg, 0, sizeof(cfg));
	cfg.procfs = procfs;
	cfg.enabled[0] = cfg.enabled[1] = true;
	sb_init(&err);
	sb_init(&sb);
	assert_int_equal(scrape_new_with(&cfg, list, 2, &s, &err), 0);
	assert_int_equal(scrape_get(s, INFINITY, &r), 0);
	assert_int_equal(expo_render(scrape_result_expo(r), EXPO_FMT_TEXT, &sb), 0);
	scrape_result_put(r);
	/* A second collection says nothing new and counts the same. */
	assert_int_equal(scrape_get(s, INFINITY, &r), 0);
	scrape_result_put(r);
	scrape_free(s);
	sb_fini(&err);
	return sb_steal(&sb, NULL);
}

static void test_kernel_field_collides_with_sockets(void **state)
{
	char *t;

	(void)state;
	/* net/snmp has "Udp: Sockets" -> netstat_udp_sockets, a sockets family. */
	t = scrape_tree("collision-udp");
	HAS(t, "netstat_exporter_collector_success{collector=\"netstat\"} 1");
	HAS(t, "netstat_exporter_collector_success{collector=\"sockets\"} 1");
	HAS(t, "netstat_exporter_collector_dropped_families{collector=\"netstat\"} 1");
	HAS(t, "netstat_exporter_collector_dropped_families{collector=\"sockets\"} 0");
	/* The family is the sockets collector's gauge, not the kernel counter. */
	HAS(t, "# TYPE netstat_udp_sockets gauge");
	assert_null(strstr(t, "netstat_udp_sockets_total"));
	/* Every other netstat family is there. */
	HAS(t, "netstat_udp_in_datagrams_total 26");
	HAS(t, "netstat_tcp_active_opens_total 13");
	free(t);

	t = scrape_tree("proc-6.18");
	HAS(t, "netstat_exporter_collector_dropped_families{collector=\"netstat\"} 0");
	HAS(t, "netstat_udp_in_datagrams_total 26");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_field_collides_with_sockets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
