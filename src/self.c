#include "self.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/numbers.h"
#include "procfs/pid_parse.h"
#include "procfs/reader.h"

/* NETSTAT_VERSION and NETSTAT_REVISION come from CMakeLists.txt. */

#define SELF_STAT_CAP 4096

int self_parse_btime(const char *buf, uint64_t *btime)
{
	const char *p = buf;

	while (p && *p) {
		if (strncmp(p, "btime ", 6) == 0) {
			size_t used;

			if (num_parse_u64_prefix(p + 6, strlen(p + 6), btime, &used) < 0 || used == 0)
				return -EINVAL;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -EINVAL;
}

static int count_fds(uint64_t *out)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	uint64_t n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	*out = n > 0 ? n - 1 : 0; /* not the directory fd we just opened */
	return 0;
}

int self_start_time(double *out)
{
	struct strbuf sys, self;
	struct pid_stat st;
	uint64_t btime;
	long hz = sysconf(_SC_CLK_TCK);
	int rc;

	sb_init(&sys);
	sb_init(&self);
	/* /proc/stat's intr line alone can be tens of KiB on large machines. */
	rc = procfs_read(AT_FDCWD, "/proc/stat", 1 << 20, &sys);
	if (rc == 0)
		rc = procfs_read(AT_FDCWD, "/proc/self/stat", SELF_STAT_CAP, &self);
	if (rc == 0)
		rc = self_parse_btime(sys.buf, &btime);
	if (rc == 0)
		rc = pid_parse_stat(self.buf, self.len, &st);
	if (rc == 0 && hz <= 0)
		rc = -EINVAL;
	if (rc == 0)
		*out = (double)btime + (double)st.starttime_ticks / (double)hz;
	sb_fini(&sys);
	sb_fini(&self);
	return rc;
}

int self_collect(struct expo *e, double start_time)
{
	struct strbuf buf;
	struct pid_stat st;
	struct rlimit rl;
	uint64_t fds = 0;
	long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	int rc = 0;

	expo_add_u64(expo_family(e, "netstat_exporter_build", EXPO_INFO,
				 "A metric with a constant '1' value labeled by version and revision."),
		     1, EXPO_LABELS({"version", NETSTAT_VERSION}, {"revision", NETSTAT_REVISION}));

	sb_init(&buf);
	if (procfs_read(AT_FDCWD, "/proc/self/stat", SELF_STAT_CAP, &buf) == 0 &&
	    pid_parse_stat(buf.buf, buf.len, &st) == 0 && hz > 0 && page > 0) {
		expo_add_f64(expo_family(e, "process_cpu_seconds", EXPO_COUNTER,
					 "Total user and system CPU time spent in seconds."),
			     (double)(st.utime_ticks + st.stime_ticks) / (double)hz, EXPO_NOLABELS);
		expo_add_u64(expo_family(e, "process_resident_memory_bytes", EXPO_GAUGE,
					 "Resident memory size in bytes."),
			     st.rss_pages * (uint64_t)page, EXPO_NOLABELS);
		expo_add_u64(expo_family(e, "process_virtual_memory_bytes", EXPO_GAUGE,
					 "Virtual memory size in bytes."),
			     st.vsize_bytes, EXPO_NOLABELS);
	} else {
		rc = -EIO;
	}
	sb_fini(&buf);
	if (start_time > 0)
		expo_add_f64(expo_family(e, "process_start_time_seconds", EXPO_GAUGE,
					 "Start time of the process since unix epoch in seconds."),
			     start_time, EXPO_NOLABELS);
	if (count_fds(&fds) == 0)
		expo_add_u64(expo_family(e, "process_open_fds", EXPO_GAUGE,
					 "Number of open file descriptors."),
			     fds, EXPO_NOLABELS);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		expo_add_u64(expo_family(e, "process_max_fds", EXPO_GAUGE,
					 "Maximum number of open file descriptors."),
			     rl.rlim_cur, EXPO_NOLABELS);
	return rc;
}
