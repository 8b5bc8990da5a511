/* http/assets: lookup of the embedded page files. See http/assets.h. */
#include "http/assets.h"

#include <string.h>

const struct http_asset *http_asset_find(const char *path)
{
	for (const struct http_asset *a = http_assets; a->path; a++)
		if (strcmp(a->path, path) == 0)
			return a;
	return NULL;
}
