#include "http/basic_auth.h"

#include <crypt.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DIGEST_LEN 32 /* SHA-256 */

/* Salt and digest of the decoy for unknown users, after a configured
 * user's "$2y$NN$": a hash no password matches in practice. */
static const char decoy_tail[] = "netstatexporterfakehaeyQ0shZwimB0RbzjA2uANKJEl/2AXJEW";
_Static_assert(sizeof(decoy_tail) - 1 + 7 == BASIC_AUTH_HASH_LEN, "bcrypt hash length");

struct basic_auth {
	pthread_mutex_t lock;   /* guards the cache */
	pthread_mutex_t bcrypt; /* one bcrypt at a time */
	unsigned char key[32];  /* HMAC key, random per process */
	unsigned char slots[BASIC_AUTH_CACHE_SLOTS][DIGEST_LEN];
	bool used[BASIC_AUTH_CACHE_SLOTS];
	unsigned next;
};

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int basic_auth_parse(const char *header, char user[BASIC_AUTH_MAX + 1],
		     char pass[BASIC_AUTH_MAX + 1])
{
	unsigned char out[2 * BASIC_AUTH_MAX + 2];
	size_t n = 0, len, i;
	const char *p, *colon;

	user[0] = pass[0] = '\0';
	if (!header || strncasecmp(header, "Basic ", 6))
		return -EINVAL;
	p = header + 6;
	len = strlen(p);
	/* Standard base64 with padding: whole quads only. */
	if (len == 0 || len % 4 || len / 4 * 3 > sizeof(out))
		return -EINVAL;
	for (i = 0; i < len; i += 4) {
		int v[4];
		bool last = i + 4 == len;

		for (int k = 0; k < 4; k++) {
			v[k] = b64_value((unsigned char)p[i + k]);
			if (v[k] < 0 && !(last && k >= 2 && p[i + k] == '='))
				return -EINVAL;
		}
		if (v[2] < 0 && v[3] >= 0) /* "x=y=" */
			return -EINVAL;
		out[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (v[2] >= 0)
			out[n++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (v[3] >= 0)
			out[n++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	if (memchr(out, '\0', n))
		return -EINVAL;
	colon = memchr(out, ':', n);
	if (!colon || (size_t)(colon - (char *)out) > BASIC_AUTH_MAX ||
	    n - (size_t)(colon - (char *)out) - 1 > BASIC_AUTH_MAX)
		return -EINVAL;
	memcpy(user, out, (size_t)(colon - (char *)out));
	user[colon - (char *)out] = '\0';
	memcpy(pass, colon + 1, n - (size_t)(colon - (char *)out) - 1);
	pass[n - (size_t)(colon - (char *)out) - 1] = '\0';
	explicit_bzero(out, sizeof(out));
	return 0;
}

/* Constant-time equality of two byte strings of the same length. */
static bool ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* Equality of two strings in time that depends only on their lengths. */
static bool ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return ct_equal(a, la == lb ? b : a, la) && la == lb;
}

struct basic_auth *basic_auth_new(void)
{
	struct basic_auth *ba = calloc(1, sizeof(*ba));

	if (!ba)
		return NULL;
	if (gnutls_rnd(GNUTLS_RND_KEY, ba->key, sizeof(ba->key))) {
		free(ba);
		return NULL;
	}
	pthread_mutex_init(&ba->lock, NULL);
	pthread_mutex_init(&ba->bcrypt, NULL);
	return ba;
}

void basic_auth_free(struct basic_auth *ba)
{
	if (!ba)
		return;
	pthread_mutex_destroy(&ba->lock);
	pthread_mutex_destroy(&ba->bcrypt);
	explicit_bzero(ba, sizeof(*ba));
	free(ba);
}

void basic_auth_hash_of(const struct web_user *users, size_t n, const char *user,
			char out[BASIC_AUTH_HASH_LEN + 1], bool *known)
{
	const char *found = NULL, *like = users[0].hash;
	unsigned char d[DIGEST_LEN];
	gnutls_hash_hd_t h;

	for (size_t i = 0; i < n; i++)
		if (ct_streq(users[i].name, user))
			found = users[i].hash;
	/* Computed for every name, known or not, for the same time. */
	if (n > 1 && gnutls_hash_init(&h, GNUTLS_DIG_SHA256) == 0) {
		uint64_t pick = 0;

		for (size_t i = 0; i < n; i++)
			gnutls_hash(h, users[i].hash, strlen(users[i].hash) + 1);
		gnutls_hash(h, user, strlen(user));
		gnutls_hash_deinit(h, d);
		for (int i = 0; i < 8; i++)
			pick = pick << 8 | d[i];
		like = users[pick % n].hash;
		explicit_bzero(d, sizeof(d));
	}
	*known = found != NULL;
	if (found) {
		snprintf(out, BASIC_AUTH_HASH_LEN + 1, "%s", found);
	} else {
		memcpy(out, like, 7); /* "$2y$NN$": shape checked by web_config */
		memcpy(out + 7, decoy_tail, sizeof(decoy_tail));
	}
}

/* HMAC(key, len(user) user len(hash) hash pass): lengths first, so no two
 * triples give the same input. */
static int digest(const struct basic_auth *ba, const char *user, const char *hash,
		  const char *pass, unsigned char out[DIGEST_LEN])
{
	gnutls_hmac_hd_t h;
	uint32_t lu = (uint32_t)strlen(user), lh = (uint32_t)strlen(hash);
	int rc;

	if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, ba->key, sizeof(ba->key)))
		return -ENOMEM;
	rc = gnutls_hmac(h, &lu, sizeof(lu)) || gnutls_hmac(h, user, lu) ||
	     gnutls_hmac(h, &lh, sizeof(lh)) || gnutls_hmac(h, hash, lh) ||
	     gnutls_hmac(h, pass, strlen(pass));
	gnutls_hmac_deinit(h, out);
	return rc ? -EIO : 0;
}

bool basic_auth_cached(struct basic_auth *ba, const char *user, const char *hash,
		       const char *pass)
{
	unsigned char d[DIGEST_LEN];
	bool hit = false;

	if (!hash || digest(ba, user, hash, pass, d))
		return false;
	pthread_mutex_lock(&ba->lock);
	for (unsigned i = 0; i < BASIC_AUTH_CACHE_SLOTS; i++)
		hit |= ba->used[i] & ct_equal(ba->slots[i], d, DIGEST_LEN);
	pthread_mutex_unlock(&ba->lock);
	explicit_bzero(d, sizeof(d));
	return hit;
}

bool basic_auth_verify(struct basic_auth *ba, const char *user, const char *hash, bool known,
		       const char *pass)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	unsigned char d[DIGEST_LEN];
	const char *out;
	bool ok = false;

	if (!cd)
		return false;
	pthread_mutex_lock(&ba->bcrypt);
	out = crypt_r(pass, hash, cd);
	pthread_mutex_unlock(&ba->bcrypt);
	/* crypt_r returns "*0"/"*1" or NULL on a setting it refuses. */
	ok = known && out && out[0] == '$' && ct_streq(out, hash);
	if (ok && digest(ba, user, hash, pass, d) == 0) {
		pthread_mutex_lock(&ba->lock);
		memcpy(ba->slots[ba->next], d, DIGEST_LEN);
		ba->used[ba->next] = true;
		ba->next = (ba->next + 1) % BASIC_AUTH_CACHE_SLOTS;
		pthread_mutex_unlock(&ba->lock);
		explicit_bzero(d, sizeof(d));
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}
