/* Docker's config.v2.json (the container name), through jansson. The first
 * byte sets the size of the output buffer (0 to 255); the rest is the file,
 * read for the container whose ID the seeds carry. A name returned fits the
 * buffer and follows Docker's rule. */
#include "fuzz.h"
#include "netns/docker_config.h"

#define ID "d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[256];
	size_t cap;

	if (size == 0)
		return 0;
	cap = data[0];
	if (netns_docker_name_parse((const char *)data + 1, size - 1, ID, out, cap) == 0) {
		size_t n = strnlen(out, sizeof(out));
		if (n == 0 || n >= cap)
			abort();
		for (size_t i = 0; i < n; i++) {
			char c = out[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      (i > 0 && (c == '_' || c == '.' || c == '-'))))
				abort();
		}
	}
	return 0;
}
