/* Least privilege: which capabilities each set of enabled features keeps,
 * and the reason the log gives. (privs_drop itself: integration.privileges.) */
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "privs.h"

#define CAP(c) (1ull << (c))
#define ATTRIBUTION (CAP(CAP_SYS_PTRACE) | CAP(CAP_DAC_READ_SEARCH))

static void wanted(void **state)
{
	static const struct {
		bool on[PRIVS_FEATURE_COUNT];
		uint64_t caps;
		const char *why; /* exactly */
	} cases[] = {
		{{false}, 0, ""},
		{{[PRIVS_PROCESSES] = true}, ATTRIBUTION,
		 "processes collector: cap_sys_ptrace,cap_dac_read_search (other users' /proc/PID/fd: "
		 "which program holds a socket)"},
		/* The explorer alone needs what the processes collector needs. */
		{{[PRIVS_EXPLORER] = true}, ATTRIBUTION,
		 "connections explorer: cap_sys_ptrace,cap_dac_read_search (other users' "
		 "/proc/PID/fd: which program holds a socket)"},
		{{[PRIVS_PROCESSES] = true, [PRIVS_EXPLORER] = true}, ATTRIBUTION,
		 "processes collector, connections explorer: cap_sys_ptrace,cap_dac_read_search "
		 "(other users' /proc/PID/fd: which program holds a socket)"},
		{{[PRIVS_NETNS] = true, [PRIVS_LOW_PORT] = true},
		 CAP(CAP_SYS_ADMIN) | CAP(CAP_SYS_PTRACE) | CAP(CAP_NET_BIND_SERVICE),
		 "netns collector: cap_sys_ptrace,cap_sys_admin (setns, other users' /proc/PID/ns/net); "
		 "listen port below 1024: cap_net_bind_service (bind)"},
	};
	struct strbuf why;

	(void)state;
	sb_init(&why);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct privs_need need;
		uint64_t caps;

		memcpy(need.on, cases[i].on, sizeof(need.on));
		sb_reset(&why);
		caps = privs_wanted(&need, &why);
		if (caps != cases[i].caps || strcmp(why.buf ? why.buf : "", cases[i].why) != 0)
			fail_msg("case %zu: caps %#llx why '%s', want %#llx '%s'", i,
				 (unsigned long long)caps, why.buf ? why.buf : "",
				 (unsigned long long)cases[i].caps, cases[i].why);
	}
	sb_fini(&why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wanted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
