#include "http/gzip.h"

#include <errno.h>
#include <limits.h>
#include <zlib.h>

int gzip_compress(const char *in, size_t n, struct strbuf *out)
{
	z_stream zs = {0};
	uLong bound;
	char *dst;
	int rc = -ENOMEM;

	if (n > UINT_MAX / 2)
		return -EFBIG;
	/* 15 window bits + 16 selects the gzip wrapper; level 1 because a
	 * scrape body compresses ~10x even at the fastest level. */
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&zs, (uLong)n);
	dst = sb_reserve(out, bound);
	if (!dst)
		goto out;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = (Bytef *)dst;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		rc = -EIO;
		goto out;
	}
	out->len += zs.total_out;
	out->buf[out->len] = '\0';
	rc = 0;
out:
	deflateEnd(&zs);
	return rc;
}
