/* cli/flags: the command line, in the conventions of node_exporter (kingpin).
 *
 * Flags are --name=value or --name value; booleans are --name, --no-name or
 * --name=true|false. Pure: no I/O; messages go to the caller's buffers. */
#ifndef NETSTAT_CLI_FLAGS_H
#define NETSTAT_CLI_FLAGS_H

#include <stdint.h>

#include "cli/config.h"
#include "util/strbuf.h"

enum cli_result {
	CLI_RUN = 0,  /* start the exporter */
	CLI_EXIT,     /* --help or --version: print out, exit 0 */
	CLI_ERROR,    /* bad usage: print err (one line), exit 2 */
	CLI_RESULT_COUNT
};

/* Fills cfg (which may point into argv afterwards) with defaults and then the
 * flags. On CLI_EXIT the text to print is in out; on CLI_ERROR one line naming
 * the flag is in err. */
enum cli_result cli_parse(int argc, char **argv, struct config *cfg,
			  struct strbuf *out, struct strbuf *err);

/* Parses an unsigned decimal in [min, max]; 0 or -EINVAL. */
int cli_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		   unsigned long long *out);

/* Parses "PORT[,PORT...]" (1-65535) into a bitmap (bits are set, none
 * cleared); 0 or -EINVAL. */
int cli_parse_port_list(const char *value, uint64_t ports[65536 / 64]);

#endif
