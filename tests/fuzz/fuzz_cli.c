/* The command line: the input split at NUL bytes is argv (so flag names and
 * values are both fuzzed), and the whole input is one listen address. */
#include <sys/socket.h>

#include "cli/flags.h"
#include "fuzz.h"
#include "util/listen_addr.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *argv[MAX_ARGS + 2];
	struct sockaddr_storage ss;
	socklen_t len;
	struct config cfg;
	struct strbuf out, err;
	int argc = 1;

	if (!s)
		return 0;
	listen_addr_parse(s, &ss, &len);
	argv[0] = "netstat_exporter";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i += strlen(s + i) + 1)
		argv[argc++] = s + i;
	argv[argc] = NULL;
	sb_init(&out);
	sb_init(&err);
	cli_parse(argc, argv, &cfg, &out, &err);
	sb_fini(&out);
	sb_fini(&err);
	free(s);
	return 0;
}
