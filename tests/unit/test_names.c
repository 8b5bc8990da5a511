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
#include "scrape_text.h"

/* The netstat collector first, so it would also win a first-come rule; two
 * collections, so the second says nothing new and counts the same. */
static char *scrape_tree(const char *tree)
{
	const struct collector_ops *const list[] = {&netstat_collector, &sockets_collector};

	return scrape_text(list, 2, NULL, tree, 2);
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
