/* procfs/sockstat_parse: pure parser for net/sockstat and net/sockstat6. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/sockstat_parse.h"

void sockstat_list_init(struct sockstat_list *l)
{
	l->v = NULL;
	l->len = 0;
	l->cap = 0;
}

void sockstat_list_fini(struct sockstat_list *l)
{
	free(l->v);
	sockstat_list_init(l);
}

static bool is_word(const char *p, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static bool token(const char **p, const char *end, const char **tok, size_t *tn)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end)
		return false;
	*tok = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*tn = (size_t)(s - *tok);
	*p = s;
	return true;
}

int sockstat_parse(const char *text, size_t len, struct sockstat_list *out,
		   struct parse_error *err)
{
	size_t start = out->len, lineno = 0;
	int rc = 0;

	while (len > 0) {
		const char *nl = memchr(text, '\n', len), *colon, *p, *end, *key, *val;
		size_t kn, vn;

		err->line = ++lineno;
		if (!nl) {
			err->what = "truncated line (no newline at end)";
			rc = -EINVAL;
			goto out;
		}
		end = nl;
		colon = memchr(text, ':', (size_t)(end - text));
		if (!colon || !is_word(text, (size_t)(colon - text))) {
			err->what = "line does not start with a protocol name and ':'";
			rc = -EINVAL;
			goto out;
		}
		p = colon + 1;
		if (!token(&p, end, &key, &kn)) {
			err->what = "protocol without values";
			rc = -EINVAL;
			goto out;
		}
		do {
			struct sockstat_stat *s;
			int nrc;

			if (!is_word(key, kn)) {
				err->what = "key is not a word";
				rc = -EINVAL;
				goto out;
			}
			if (!token(&p, end, &val, &vn)) {
				err->what = "key without a value";
				rc = -EINVAL;
				goto out;
			}
			if (out->len == out->cap) {
				size_t cap = out->cap ? out->cap * 2 : 32;
				struct sockstat_stat *v = realloc(out->v, cap * sizeof(*v));

				if (!v) {
					rc = -ENOMEM;
					goto out;
				}
				out->v = v;
				out->cap = cap;
			}
			s = &out->v[out->len++];
			nrc = num_parse_u64(val, vn, &s->value);
			if (nrc < 0) {
				err->what = nrc == -ERANGE ? "value out of range" : "non-numeric value";
				rc = -EINVAL;
				goto out;
			}
			s->proto = text;
			s->proto_len = (size_t)(colon - text);
			s->key = key;
			s->key_len = kn;
		} while (token(&p, end, &key, &kn));
		len -= (size_t)(nl + 1 - text);
		text = nl + 1;
	}
out:
	if (rc < 0)
		out->len = start;
	return rc;
}
