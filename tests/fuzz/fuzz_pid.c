/* The /proc/PID parsers of process attribution: fd link targets, directory
 * names, comm out of stat (then cleaned to UTF-8), the euid out of status. */
#include "fuzz.h"
#include "procfs/pid_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char *s = fuzz_cstr(data, size);
	char comm[PROC_COMM_MAX + 1];
	uint32_t inode, uid;

	if (!s)
		return 0;
	pid_parse_socket_link(text, size, &inode);
	pid_parse_pid(s);
	pid_parse_comm(text, size, comm);
	pid_parse_status_euid(text, size, &uid);
	pid_clean_name(s);
	free(s);
	return 0;
}
