/* http/basic_auth: HTTP basic authentication against bcrypt hashes.
 *
 * basic_auth_parse() is pure: an Authorization header in, user and password
 * out. struct basic_auth verifies with libxcrypt's crypt_r() and remembers
 * successful verifications, as the exporter-toolkit does, since bcrypt costs
 * tens of milliseconds by design. Only successes are cached, so a wrong
 * password always pays the full bcrypt and can never be answered from the
 * cache. The cache holds a keyed hash (HMAC-SHA-256 under a random key made at
 * start) of user, hash and password, never a password. Comparisons of
 * secrets are constant-time. */
#ifndef NETSTAT_HTTP_BASIC_AUTH_H
#define NETSTAT_HTTP_BASIC_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "http/web_config.h"

/* Longest user and password accepted, each. */
#define BASIC_AUTH_MAX 256
/* Successful verifications remembered (oldest replaced first). */
#define BASIC_AUTH_CACHE_SLOTS 64

/* Splits "Basic base64(user:password)" (scheme case-insensitive, standard
 * base64 with padding, split at the first ':'). user and pass receive
 * NUL-terminated strings of at most BASIC_AUTH_MAX bytes. Returns 0, or
 * -EINVAL for a missing or malformed header, other schemes, and NUL bytes in
 * the decoded text (they would truncate what crypt_r sees). */
int basic_auth_parse(const char *header, char user[BASIC_AUTH_MAX + 1],
		     char pass[BASIC_AUTH_MAX + 1]);

struct basic_auth;

/* NULL means ENOMEM (or no randomness for the cache key). */
struct basic_auth *basic_auth_new(void);
void basic_auth_free(struct basic_auth *ba);

/* Length of a bcrypt hash: "$2y$NN$", then 53 characters. */
#define BASIC_AUTH_HASH_LEN 60

/* The hash to check user's password against, into out: user's own from
 * users (n >= 1; *known true), or else a decoy (*known false) with the
 * variant and cost of one of the configured users, picked by a digest of
 * the name and every configured hash (whose salts the client does not know).
 * So an unknown name costs what some known user's wrong password costs, the
 * same every time, and with users of several costs its time does not say
 * whether the name exists. Runs over every user, so the time does not say
 * which one matched. Pure. */
void basic_auth_hash_of(const struct web_user *users, size_t n, const char *user,
			char out[BASIC_AUTH_HASH_LEN + 1], bool *known);

/* Whether (user, hash, pass) verified before. Cheap; thread-safe. */
bool basic_auth_cached(struct basic_auth *ba, const char *user, const char *hash,
		       const char *pass);
/* Runs bcrypt over hash (basic_auth_hash_of's): true when known and pass
 * matches (then cached); a decoy always fails, after the same work.
 * Thread-safe; calls are serialised, so at most one CPU does bcrypt at a
 * time. */
bool basic_auth_verify(struct basic_auth *ba, const char *user, const char *hash, bool known,
		       const char *pass);

#endif
