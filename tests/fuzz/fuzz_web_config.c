/* --web.config.file: YAML from a file an operator (or whoever can write to
 * it) controls; and the duration grammar (util/duration) of rate_limit.interval
 * and of every duration flag. */
#include "fuzz.h"
#include "http/web_config.h"
#include "util/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_config cfg;
	struct strbuf err;
	char *s = fuzz_cstr(data, size);
	uint64_t ms;

	if (!s)
		return 0;
	sb_init(&err);
	web_config_parse((const char *)data, size, &cfg, &err);
	web_config_fini(&cfg);
	sb_fini(&err);
	duration_parse((const char *)data, size, &ms); /* not NUL-terminated */
	duration_parse_seconds((const char *)data, size, &ms);
	(void)web_config_bcrypt_shape(s);
	free(s);
	return 0;
}
