/* The Authorization header, as any client sends it. */
#include "fuzz.h"
#include "http/basic_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char user[BASIC_AUTH_MAX + 1], pass[BASIC_AUTH_MAX + 1];
	char *s = fuzz_cstr(data, size);

	if (!s)
		return 0;
	basic_auth_parse(s, user, pass);
	free(s);
	return 0;
}
