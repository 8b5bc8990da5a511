/* The query strings of /connections and /api/v1/connections, as any client
 * sends them; a parsed remote filter is then matched against addresses. */
#include <netinet/in.h>
#include <sys/socket.h>

#include "connections/query.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t v4[4] = {10, 1, 2, 3};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct conn_query q;
	struct strbuf err;
	char *s = fuzz_cstr(data, size);

	if (!s)
		return 0;
	sb_init(&err);
	conn_query_init(&q);
	if (conn_query_parse(&q, s, &err) == 0) {
		(void)conn_query_remote_match(&q, AF_INET, v4);
		(void)conn_query_remote_match(&q, AF_INET6, v6);
	}
	sb_fini(&err);
	free(s);
	return 0;
}
