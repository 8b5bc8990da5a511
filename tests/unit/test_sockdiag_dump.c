/* Unit tests for sockdiag/dump: every worker's socket is open from
 * diag_dump_init() on, so the process's fd count does not depend on which
 * threads a run happened to give a job (a run with one job uses only
 * worker 0; a busier one may reach the others). Real sockets: opening a
 * NETLINK_SOCK_DIAG socket needs no privilege. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>

#include "sockdiag/dump.h"

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own */
}

static int ignore(void *arg, unsigned worker, const struct diag_sock *s)
{
	(void)arg;
	(void)worker;
	(void)s;
	return 0;
}

static void test_sockets_open_at_init(void **state)
{
	static const struct diag_dump_job job = {AF_INET, IPPROTO_TCP, NL_DIAG_STATE(10), NULL, 0};
	struct diag_dump sc;
	int base = open_fds();

	(void)state;
	assert_int_equal(diag_dump_init(&sc, 3), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_non_null(sc.nl[i].nl);
	assert_int_equal(open_fds(), base + 3);
	/* One job: worker 0 alone; then three jobs for three workers. */
	assert_int_equal(diag_dump_run(&sc, 3, &job, 1, ignore, NULL), 0);
	assert_int_equal(open_fds(), base + 3);
	{
		const struct diag_dump_job jobs[3] = {job, job, job};
		assert_int_equal(diag_dump_run(&sc, 3, jobs, 3, ignore, NULL), 0);
	}
	assert_int_equal(open_fds(), base + 3);
	diag_dump_fini(&sc);
	assert_int_equal(open_fds(), base);
}

static void test_bad_worker_count(void **state)
{
	struct diag_dump sc;
	int base = open_fds();

	(void)state;
	assert_int_equal(diag_dump_init(&sc, 0), -EINVAL);
	assert_int_equal(diag_dump_init(&sc, DIAG_DUMP_MAX_WORKERS + 1), -EINVAL);
	assert_int_equal(open_fds(), base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sockets_open_at_init),
		cmocka_unit_test(test_bad_worker_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
