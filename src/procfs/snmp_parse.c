/* procfs/snmp_parse: pure parsers for net/snmp, net/netstat and net/snmp6. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/snmp_parse.h"

/* Kernel names are short; a longer token is not a name we understand. */
#define SNMP_NAME_MAX 255

void snmp_list_init(struct snmp_list *l)
{
	l->v = NULL;
	l->len = 0;
	l->cap = 0;
}

void snmp_list_fini(struct snmp_list *l)
{
	free(l->v);
	snmp_list_init(l);
}

static int list_push(struct snmp_list *l, struct snmp_stat **s)
{
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct snmp_stat *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	*s = &l->v[l->len++];
	return 0;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_name(const char *p, size_t n)
{
	if (n == 0 || n > SNMP_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(p[i]))
			return false;
	return true;
}

/* One line without its newline. */
struct line {
	const char *p;
	size_t n;
};

/* Next token of a line, separated by blanks; false at the end. */
static bool next_token(struct line *l, const char **tok, size_t *tn)
{
	size_t i = 0, start;

	while (i < l->n && (l->p[i] == ' ' || l->p[i] == '\t'))
		i++;
	if (i == l->n)
		return false;
	start = i;
	while (i < l->n && l->p[i] != ' ' && l->p[i] != '\t')
		i++;
	*tok = l->p + start;
	*tn = i - start;
	l->p += i;
	l->n -= i;
	return true;
}

/* Splits text into lines; the last must end in a newline (else it was cut). */
static int next_line(const char **text, size_t *len, struct line *l,
		     struct parse_error *err)
{
	const char *nl = memchr(*text, '\n', *len);

	if (!nl) {
		err->what = "truncated line (no newline at end)";
		return -EINVAL;
	}
	l->p = *text;
	l->n = (size_t)(nl - *text);
	*len -= l->n + 1;
	*text = nl + 1;
	return 0;
}

/* "Proto:" at the start of a line. */
static int line_proto(struct line *l, const char **proto, size_t *pn,
		      struct parse_error *err)
{
	const char *colon = memchr(l->p, ':', l->n);

	if (!colon || !is_name(l->p, (size_t)(colon - l->p))) {
		err->what = "line does not start with a protocol name and ':'";
		return -EINVAL;
	}
	*proto = l->p;
	*pn = (size_t)(colon - l->p);
	l->n -= *pn + 1;
	l->p = colon + 1;
	return 0;
}

static int parse_value(const char *tok, size_t tn, struct snmp_stat *s,
		       struct parse_error *err)
{
	int rc;

	if (tn > 0 && tok[0] == '-') {
		int64_t v;

		rc = num_parse_i64(tok, tn, &v);
		s->negative = rc == 0 && v < 0;
		s->value = (uint64_t)v;
	} else {
		s->negative = false;
		rc = num_parse_u64(tok, tn, &s->value);
	}
	if (rc < 0)
		err->what = rc == -ERANGE ? "value out of range" : "non-numeric value";
	return rc < 0 ? -EINVAL : 0;
}

int snmp_parse_pairs(const char *text, size_t len, struct snmp_list *out,
		     struct parse_error *err)
{
	size_t start = out->len, lineno = 0;
	int rc = 0;

	while (len > 0) {
		struct line hdr, val;
		const char *hp, *vp, *tok;
		size_t hn, vn, tn, first, nfields = 0, nvalues = 0;

		err->line = ++lineno;
		if ((rc = next_line(&text, &len, &hdr, err)) < 0 ||
		    (rc = line_proto(&hdr, &hp, &hn, err)) < 0)
			goto out;
		err->line = ++lineno;
		if (len == 0) {
			err->what = "header line without a value line";
			rc = -EINVAL;
			goto out;
		}
		if ((rc = next_line(&text, &len, &val, err)) < 0 ||
		    (rc = line_proto(&val, &vp, &vn, err)) < 0)
			goto out;
		if (vn != hn || memcmp(vp, hp, hn) != 0) {
			err->what = "value line names another protocol than its header";
			rc = -EINVAL;
			goto out;
		}
		first = out->len;
		while (next_token(&hdr, &tok, &tn)) {
			struct snmp_stat *s;

			if (!is_name(tok, tn)) {
				err->line = lineno - 1;
				err->what = "field name is not alphanumeric";
				rc = -EINVAL;
				goto out;
			}
			if ((rc = list_push(out, &s)) < 0)
				goto out;
			s->proto = hp;
			s->proto_len = (uint16_t)hn;
			s->field = tok;
			s->field_len = (uint16_t)tn;
			s->negative = false;
			s->value = 0;
			nfields++;
		}
		while (next_token(&val, &tok, &tn)) {
			if (++nvalues > nfields)
				continue; /* counted for the message below */
			if ((rc = parse_value(tok, tn, &out->v[first + nvalues - 1], err)) < 0)
				goto out;
		}
		if (nvalues != nfields) {
			err->what = nvalues < nfields ? "fewer values than header fields"
						      : "more values than header fields";
			rc = -EINVAL;
			goto out;
		}
	}
out:
	if (rc < 0)
		out->len = start;
	return rc;
}

int snmp_parse_flat(const char *text, size_t len, struct snmp_list *out,
		    struct parse_error *err)
{
	size_t start = out->len, lineno = 0;
	int rc = 0;

	while (len > 0) {
		struct line l;
		const char *name, *tok;
		size_t nn, tn, split = 0;
		struct snmp_stat *s;

		err->line = ++lineno;
		if ((rc = next_line(&text, &len, &l, err)) < 0)
			goto out;
		if (!next_token(&l, &name, &nn) || !is_name(name, nn)) {
			err->what = "line does not start with an alphanumeric name";
			rc = -EINVAL;
			goto out;
		}
		if (!next_token(&l, &tok, &tn)) {
			err->what = "name without a value";
			rc = -EINVAL;
			goto out;
		}
		if ((rc = list_push(out, &s)) < 0)
			goto out;
		if ((rc = parse_value(tok, tn, s, err)) < 0)
			goto out;
		if (next_token(&l, &tok, &tn)) {
			err->what = "more than one value on a line";
			rc = -EINVAL;
			goto out;
		}
		/* Protocol = prefix through the first digit run; none -> no prefix. */
		while (split < nn && !is_digit(name[split]))
			split++;
		if (split == nn) {
			split = 0;
		} else {
			while (split < nn && is_digit(name[split]))
				split++;
		}
		if (split == nn) {
			err->what = "name is only a protocol";
			rc = -EINVAL;
			goto out;
		}
		s->proto = name;
		s->proto_len = (uint16_t)split;
		s->field = name + split;
		s->field_len = (uint16_t)(nn - split);
	}
out:
	if (rc < 0)
		out->len = start;
	return rc;
}
