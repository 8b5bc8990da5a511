/* Accept, Accept-Encoding and X-Prometheus-Scrape-Timeout-Seconds, as a
 * scraper sends them. */
#include "fuzz.h"
#include "http/negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);

	if (!s)
		return 0;
	(void)neg_format(s);
	(void)neg_gzip(s);
	(void)neg_scrape_timeout(s, 10);
	free(s);
	return 0;
}
