/* The /proc/PID parsers: fd link targets, the ns/net link, directory names,
 * stat (and comm out of it, cleaned to UTF-8), the euid and CapEff out of
 * status. */
#include "fuzz.h"
#include "netns/discovery.h"
#include "procfs/pid_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char *s = fuzz_cstr(data, size);
	char comm[PROC_COMM_MAX + 1];
	uint32_t inode, uid;
	uint64_t ns_ino;
	uint64_t caps;
	struct pid_stat st;

	if (!s)
		return 0;
	pid_parse_socket_link(text, size, &inode);
	netns_parse_link(text, size, &ns_ino);
	pid_parse_pid(s);
	pid_parse_comm(text, size, comm);
	pid_parse_status_euid(text, size, &uid);
	pid_parse_status_capeff(text, size, &caps);
	pid_parse_stat(text, size, &st);
	pid_clean_name(s);
	free(s);
	return 0;
}
