/* procfs/snmp_name: kernel counter names -> metric names; see the header for the rule. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/snmp_name.h"

static const char *const acronyms[] = {
	/* keep in sync with SNMP_NAME_ACRONYMS (the unit test checks) */
	"AO", "ACK", "CE", "DSACK", "DSS", "ECT", "HP", "IP", "MD5", "MLD",
	"MP", "MPTCP", "MTUP", "OFO", "PAWS", "PF", "PLB", "RTO", "RX", "SACK",
	"SYN", "TCP", "TS", "TTL", "TW", "TX",
};

struct kind_row {
	const char *proto;
	const char *field;
	struct snmp_kind kind;
};

/* Everything not listed here is a monotonic counter. */
static const struct kind_row kinds[] = {
	{"Ip", "Forwarding", {EXPO_GAUGE, false, false}},
	{"Ip", "DefaultTTL", {EXPO_GAUGE, false, false}},
	{"Tcp", "RtoAlgorithm", {EXPO_GAUGE, false, false}},
	{"Tcp", "RtoMin", {EXPO_GAUGE, false, true}},
	{"Tcp", "RtoMax", {EXPO_GAUGE, false, true}},
	{"Tcp", "MaxConn", {EXPO_GAUGE, true, false}},
	{"Tcp", "CurrEstab", {EXPO_GAUGE, false, false}},
	{"MPTcpExt", "MPCurrEstab", {EXPO_GAUGE, false, false}},
	/* cumulative time under memory pressure, in ms */
	{"TcpExt", "TCPMemoryPressuresChrono", {EXPO_COUNTER, false, true}},
};

static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct token {
	const char *p;
	size_t n;
	bool acronym;  /* came from a run of capitals */
	bool plural;   /* followed by an "s" that belongs to it */
};

struct tokens {
	struct token *v; /* caller's storage, at least as many slots as chars */
	size_t len;
};

static void push(struct tokens *t, const char *p, size_t n, bool acronym)
{
	t->v[t->len++] = (struct token){p, n, acronym, false};
}

static size_t acronym_at(const char *p, size_t n)
{
	size_t best = 0;

	for (size_t i = 0; i < sizeof(acronyms) / sizeof(acronyms[0]); i++) {
		size_t an = strlen(acronyms[i]);

		if (an <= n && an > best && memcmp(p, acronyms[i], an) == 0)
			best = an;
	}
	return best;
}

/* A run of capitals and digits: known acronyms if they cover it, else whole. */
static void push_run(struct tokens *t, const char *p, size_t n)
{
	size_t mark = t->len, i = 0;

	while (i < n) {
		size_t an = acronym_at(p + i, n - i);

		if (an == 0 && is_digit(p[i]) && t->len > mark) {
			t->v[t->len - 1].n++; /* digits stay with the word before */
			i++;
			continue;
		}
		if (an == 0) {
			t->len = mark;
			push(t, p, n, true);
			return;
		}
		push(t, p + i, an, true);
		i += an;
	}
}

void snmp_name_snake(const char *s, size_t n, struct strbuf *out)
{
	struct token stack[64], *heap = NULL;
	struct tokens t = {stack, 0};
	size_t i = 0;

	if (n > sizeof(stack) / sizeof(stack[0])) {
		heap = malloc(n * sizeof(*heap));
		if (!heap) {
			out->err = -ENOMEM;
			return;
		}
		t.v = heap;
	}
	while (i < n) {
		size_t j = i, k;

		if (is_lower(s[i])) { /* a word without a capital */
			while (j < n && is_lower(s[j]))
				j++;
			while (j < n && is_digit(s[j]))
				j++;
			push(&t, s + i, j - i, false);
			i = j;
			continue;
		}
		if (!is_upper(s[i]) && !is_digit(s[i])) {
			i++; /* not a name character: a word break */
			continue;
		}
		while (j < n && (is_upper(s[j]) || is_digit(s[j])))
			j++;
		if (j == n || !is_lower(s[j])) {
			push_run(&t, s + i, j - i);
			i = j;
			continue;
		}
		k = j;
		while (k < n && is_lower(s[k]))
			k++;
		if (k - j == 1 && s[j] == 's' && j - i >= 2 &&
		    (k == n || !is_lower(s[k]))) {
			push_run(&t, s + i, j - i); /* ACKs, RTOs, OKs */
			t.v[t.len - 1].plural = true;
			i = k;
			continue;
		}
		if (k - j == 1 && s[j] == 'v' && k < n && is_digit(s[k]) && j - i >= 2) {
			while (k < n && is_digit(s[k]))
				k++;
			push(&t, s + i, k - i, true); /* MLDv2 */
			i = k;
			continue;
		}
		if (is_digit(s[j - 1])) { /* "ECT1a": no capital to start a word */
			push_run(&t, s + i, j - i);
			i = j;
			continue;
		}
		if (j - 1 > i)
			push_run(&t, s + i, j - 1 - i);
		while (k < n && is_digit(s[k]))
			k++;
		push(&t, s + j - 1, k - (j - 1), false);
		i = k;
	}
	for (size_t a = 0; a < t.len; a++) {
		const struct token *tk = &t.v[a];
		bool glue = tk->acronym && tk->n == 1 && !tk->plural && a + 1 < t.len;

		for (size_t b = 0; b < tk->n; b++) {
			char c = tk->p[b];

			sb_putc(out, is_upper(c) ? (char)(c - 'A' + 'a') : c);
		}
		if (tk->plural)
			sb_putc(out, 's');
		if (a + 1 < t.len && !glue)
			sb_putc(out, '_');
	}
	free(heap);
}

void snmp_name_metric(const char *proto, size_t pn, const char *field,
		      size_t fn, struct strbuf *out)
{
	struct snmp_kind k;

	sb_puts(out, "netstat_");
	for (size_t i = 0; i < pn; i++) {
		char c = proto[i];

		sb_putc(out, is_upper(c) ? (char)(c - 'A' + 'a') : c);
	}
	if (pn > 0)
		sb_putc(out, '_');
	snmp_name_snake(field, fn, out);
	snmp_name_kind(proto, pn, field, fn, &k);
	if (k.ms_to_seconds)
		sb_puts(out, "_seconds");
}

void snmp_name_kind(const char *proto, size_t pn, const char *field, size_t fn,
		    struct snmp_kind *k)
{
	*k = (struct snmp_kind){EXPO_COUNTER, false, false};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strlen(kinds[i].proto) == pn && strlen(kinds[i].field) == fn &&
		    memcmp(kinds[i].proto, proto, pn) == 0 &&
		    memcmp(kinds[i].field, field, fn) == 0) {
			*k = kinds[i].kind;
			return;
		}
	}
}
