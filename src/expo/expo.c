#include "expo/expo.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

/* Samples and their strings live in an arena of chunks freed in one call:
 * a scrape's strings belong to that scrape. */
#define ARENA_CHUNK (64 * 1024)

struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

enum value_kind { VAL_U64 = 0, VAL_I64, VAL_F64, VAL_HIST, VAL_KIND_COUNT };

/* One label set of a gauge histogram; in the arena. */
struct hist {
	size_t n;          /* finite bounds */
	const double *bounds;
	const uint64_t *cum; /* n + 1 cumulative counts; cum[n] is gcount */
	double sum;
};

struct sample {
	struct sample *next;
	enum value_kind kind;
	union {
		uint64_t u;
		int64_t i;
		double f;
		const struct hist *h;
	} v;
	size_t nlabels;
	struct expo_label labels[];
};

struct expo_family {
	struct expo *owner;
	const char *name;
	const char *help;
	enum expo_type type;
	struct sample *first, *last;
};

struct expo {
	struct chunk *chunks;
	struct expo_family **families; /* in creation order */
	size_t nfamilies, cap;
	/* Open-addressing set of family names for the duplicate check:
	 * slots hold an index into families plus one, 0 when empty. */
	size_t *slots;
	size_t nslots;  /* a power of two, at least twice nfamilies */
	int err;
};

struct expo *expo_new(void)
{
	return calloc(1, sizeof(struct expo));
}

void expo_free(struct expo *e)
{
	struct chunk *c, *next;

	if (!e)
		return;
	for (c = e->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(e->families);
	free(e->slots);
	free(e);
}

int expo_error(const struct expo *e)
{
	return e->err;
}

static void *arena_alloc(struct expo *e, size_t n)
{
	struct chunk *c = e->chunks;
	size_t cap;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (!c) {
			e->err = -ENOMEM;
			return NULL;
		}
		c->used = 0;
		c->cap = cap;
		c->next = e->chunks;
		e->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

static const char *arena_strdup(struct expo *e, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = arena_alloc(e, n);

	if (p)
		memcpy(p, s, n);
	return p;
}

int expo_valid_metric_name(const char *s)
{
	if (!s || !*s)
		return 0;
	for (const char *p = s; *p; p++) {
		char c = *p;
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    c == '_' || c == ':';
		if (!alpha && !(p > s && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

int expo_valid_label_name(const char *s)
{
	if (!s || !*s || (s[0] == '_' && s[1] == '_'))
		return 0;
	for (const char *p = s; *p; p++) {
		char c = *p;
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!alpha && !(p > s && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

/* The slot where name is, or the empty slot where it would go. */
static size_t *find_slot(const struct expo *e, const char *name)
{
	size_t mask = e->nslots - 1, i = (size_t)hash_fnv1a(name, strlen(name)) & mask;

	while (e->slots[i] && strcmp(e->families[e->slots[i] - 1]->name, name) != 0)
		i = (i + 1) & mask;
	return &e->slots[i];
}

/* Makes room for `more` families in both the array and the name set. */
static int reserve(struct expo *e, size_t more)
{
	size_t need = e->nfamilies + more;

	if (need > e->cap) {
		size_t cap = e->cap ? e->cap : 64;
		struct expo_family **grown;

		while (cap < need)
			cap *= 2;
		grown = realloc(e->families, cap * sizeof(*grown));
		if (!grown)
			return e->err = -ENOMEM;
		e->families = grown;
		e->cap = cap;
	}
	if (need * 2 > e->nslots) {
		size_t nslots = e->nslots ? e->nslots : 128;
		size_t *slots;

		while (need * 2 > nslots)
			nslots *= 2;
		slots = calloc(nslots, sizeof(*slots));
		if (!slots)
			return e->err = -ENOMEM;
		free(e->slots);
		e->slots = slots;
		e->nslots = nslots;
		for (size_t i = 0; i < e->nfamilies; i++)
			*find_slot(e, e->families[i]->name) = i + 1;
	}
	return 0;
}

struct expo_family *expo_family(struct expo *e, const char *name,
				enum expo_type type, const char *help)
{
	struct expo_family *f;
	size_t *slot;

	if (e->err)
		return NULL;
	if (!expo_valid_metric_name(name) || (unsigned)type >= EXPO_TYPE_COUNT) {
		e->err = -EINVAL;
		return NULL;
	}
	if (reserve(e, 1))
		return NULL;
	slot = find_slot(e, name);
	if (*slot) {
		e->err = -EEXIST;
		return NULL;
	}
	f = arena_alloc(e, sizeof(*f));
	if (!f)
		return NULL;
	f->owner = e;
	f->name = arena_strdup(e, name);
	f->help = arena_strdup(e, help ? help : "");
	f->type = type;
	f->first = f->last = NULL;
	if (!f->name || !f->help)
		return NULL;
	e->families[e->nfamilies++] = f;
	*slot = e->nfamilies;
	return f;
}

struct expo_family *expo_family_once(struct expo *e, const struct expo_desc *d,
				     struct expo_family **slot)
{
	if (*slot == NULL)
		*slot = expo_family(e, d->name, d->type, d->help);
	return *slot;
}

static struct sample *add_sample(struct expo_family *f,
				 const struct expo_label *labels, size_t n)
{
	struct expo *e;
	struct sample *s;

	if (!f)
		return NULL;
	e = f->owner;
	if (e->err)
		return NULL;
	s = arena_alloc(e, sizeof(*s) + n * sizeof(s->labels[0]));
	if (!s)
		return NULL;
	s->next = NULL;
	s->nlabels = n;
	for (size_t i = 0; i < n; i++) {
		if (!expo_valid_label_name(labels[i].name) || !labels[i].value) {
			e->err = -EINVAL;
			return NULL;
		}
		s->labels[i].name = arena_strdup(e, labels[i].name);
		s->labels[i].value = arena_strdup(e, labels[i].value);
		if (!s->labels[i].name || !s->labels[i].value)
			return NULL;
	}
	if (f->last)
		f->last->next = s;
	else
		f->first = s;
	f->last = s;
	return s;
}

/* Every family type but the gauge histogram takes plain values. */
static struct sample *add_value(struct expo_family *f, const struct expo_label *labels, size_t n)
{
	if (f && f->type == EXPO_GAUGEHISTOGRAM) {
		f->owner->err = -EINVAL;
		return NULL;
	}
	return add_sample(f, labels, n);
}

void expo_add_u64(struct expo_family *f, uint64_t v,
		  const struct expo_label *labels, size_t nlabels)
{
	struct sample *s = add_value(f, labels, nlabels);

	if (s) {
		s->kind = VAL_U64;
		s->v.u = v;
	}
}

void expo_add_i64(struct expo_family *f, int64_t v,
		  const struct expo_label *labels, size_t nlabels)
{
	struct sample *s = add_value(f, labels, nlabels);

	if (s) {
		s->kind = VAL_I64;
		s->v.i = v;
	}
}

void expo_add_f64(struct expo_family *f, double v,
		  const struct expo_label *labels, size_t nlabels)
{
	struct sample *s = add_value(f, labels, nlabels);

	if (s) {
		s->kind = VAL_F64;
		s->v.f = v;
	}
}

void expo_add_gaugehistogram(struct expo_family *f, const double *bounds, const uint64_t *counts,
			     size_t n, double sum, const struct expo_label *labels, size_t nlabels)
{
	struct sample *s;
	struct hist *h;
	double *b;
	uint64_t *cum, total = 0;

	if (!f || f->owner->err)
		return;
	if (f->type != EXPO_GAUGEHISTOGRAM || n == 0) {
		f->owner->err = -EINVAL;
		return;
	}
	for (size_t i = 0; i < nlabels; i++) {
		if (labels[i].name && strcmp(labels[i].name, "le") == 0) {
			f->owner->err = -EINVAL;
			return;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
			f->owner->err = -EINVAL;
			return;
		}
	}
	s = add_sample(f, labels, nlabels);
	h = arena_alloc(f->owner, sizeof(*h));
	b = arena_alloc(f->owner, n * sizeof(*b));
	cum = arena_alloc(f->owner, (n + 1) * sizeof(*cum));
	if (!s || !h || !b || !cum)
		return;
	memcpy(b, bounds, n * sizeof(*b));
	for (size_t i = 0; i <= n; i++) {
		total += counts[i];
		cum[i] = total;
	}
	*h = (struct hist){.n = n, .bounds = b, .cum = cum, .sum = sum};
	s->kind = VAL_HIST;
	s->v.h = h;
}

int expo_merge(struct expo *dst, struct expo *src, expo_keep_fn keep, void *arg)
{
	struct chunk *tail;
	int left_out = 0;

	if (dst->err || src->err)
		return dst->err ? dst->err : src->err;
	if (reserve(dst, src->nfamilies))
		return dst->err;
	for (size_t i = 0; i < src->nfamilies; i++) {
		struct expo_family *f = src->families[i];
		size_t *slot = find_slot(dst, f->name);
		bool taken = *slot != 0;
		bool wanted = keep ? keep(f->name, taken, arg) : true;

		if (taken || !wanted) {
			left_out++; /* its memory still moves below, freed with dst */
			continue;
		}
		f->owner = dst;
		dst->families[dst->nfamilies++] = f;
		*slot = dst->nfamilies;
	}
	src->nfamilies = 0;
	if (src->slots)
		memset(src->slots, 0, src->nslots * sizeof(*src->slots));
	/* src's chunks go behind dst's, so dst keeps allocating from its own head. */
	if (src->chunks) {
		for (tail = src->chunks; tail->next; tail = tail->next)
			;
		tail->next = dst->chunks ? dst->chunks->next : NULL;
		if (dst->chunks)
			dst->chunks->next = src->chunks;
		else
			dst->chunks = src->chunks;
		src->chunks = NULL;
	}
	return left_out;
}

/* Escapes backslash and newline, and the double quote when asked to. */
static void put_escaped(struct strbuf *sb, const char *s, int quote)
{
	const char *run = s;

	for (; *s; s++) {
		const char *esc = NULL;

		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '\n')
			esc = "\\n";
		else if (*s == '"' && quote)
			esc = "\\\"";
		if (!esc)
			continue;
		sb_put(sb, run, (size_t)(s - run));
		sb_puts(sb, esc);
		run = s + 1;
	}
	sb_put(sb, run, (size_t)(s - run));
}

/* Label values: backslash, double quote and newline, in both formats. */
void expo_put_label_value(struct strbuf *sb, const char *s)
{
	put_escaped(sb, s, 1);
}

/* HELP: the text format escapes backslash and newline; OpenMetrics also
 * escapes the double quote. */
void expo_put_help(struct strbuf *sb, const char *s, enum expo_format fmt)
{
	put_escaped(sb, s, fmt == EXPO_FMT_OPENMETRICS);
}

/* Shortest decimal form that reads back as the same double. */
void expo_put_f64(struct strbuf *sb, double v)
{
	char tmp[40];

	if (isnan(v)) {
		sb_puts(sb, "NaN");
		return;
	}
	if (isinf(v)) {
		sb_puts(sb, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		sb_puts(sb, signbit(v) ? "-0" : "0");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* %g writes 10 as 1e+01: integers print as integers (an le label
	 * must read the same in every scrape and format). */
	if (strchr(tmp, 'e') && fabs(v) < 1e16 && v == trunc(v))
		snprintf(tmp, sizeof(tmp), "%.0f", v);
	sb_puts(sb, tmp);
}

static const char *type_word(enum expo_type t, enum expo_format fmt)
{
	switch (t) {
	case EXPO_COUNTER:
		return "counter";
	case EXPO_GAUGE:
		return "gauge";
	case EXPO_INFO:
		return fmt == EXPO_FMT_OPENMETRICS ? "info" : "gauge";
	case EXPO_GAUGEHISTOGRAM:
		return "gaugehistogram"; /* OpenMetrics only; see render_text_gh() */
	default:
		return fmt == EXPO_FMT_OPENMETRICS ? "unknown" : "untyped";
	}
}

/* The suffix samples carry, and whether the text format's HELP/TYPE lines
 * name the family with it (the text format has no family/sample split). */
static const char *sample_suffix(enum expo_type t)
{
	if (t == EXPO_COUNTER)
		return "_total";
	if (t == EXPO_INFO)
		return "_info";
	return "";
}

/* NAME SUFFIX{labels[,le="LE"]} and the space before the value. */
static void put_series(struct strbuf *sb, const char *name, const char *suffix,
		       const struct sample *s, const double *le)
{
	sb_puts(sb, name);
	sb_puts(sb, suffix);
	if (s->nlabels || le) {
		sb_putc(sb, '{');
		for (size_t i = 0; i < s->nlabels; i++) {
			if (i)
				sb_putc(sb, ',');
			sb_puts(sb, s->labels[i].name);
			sb_puts(sb, "=\"");
			expo_put_label_value(sb, s->labels[i].value);
			sb_putc(sb, '"');
		}
		if (le) {
			sb_puts(sb, s->nlabels ? ",le=\"" : "le=\"");
			expo_put_f64(sb, *le);
			sb_putc(sb, '"');
		}
		sb_putc(sb, '}');
	}
	sb_putc(sb, ' ');
}

/* A gauge histogram's buckets (bucket n is le="+Inf"), its _gcount or its _gsum. */
enum gh_part { GH_BUCKETS = 0, GH_GCOUNT, GH_GSUM, GH_PART_COUNT };

static void put_gh(struct strbuf *sb, const struct expo_family *f, const struct sample *s,
		   enum gh_part part)
{
	const struct hist *h = s->v.h;

	if (part == GH_BUCKETS) {
		for (size_t i = 0; i <= h->n; i++) {
			double le = i < h->n ? h->bounds[i] : INFINITY;
			put_series(sb, f->name, "_bucket", s, &le);
			sb_put_u64(sb, h->cum[i]);
			sb_putc(sb, '\n');
		}
	} else if (part == GH_GCOUNT) {
		put_series(sb, f->name, "_gcount", s, NULL);
		sb_put_u64(sb, h->cum[h->n]);
		sb_putc(sb, '\n');
	} else {
		put_series(sb, f->name, "_gsum", s, NULL);
		expo_put_f64(sb, h->sum);
		sb_putc(sb, '\n');
	}
}

static void put_sample(struct strbuf *sb, const struct expo_family *f,
		       const struct sample *s)
{
	if (s->kind == VAL_HIST) {
		for (int part = 0; part < GH_PART_COUNT; part++)
			put_gh(sb, f, s, part);
		return;
	}
	put_series(sb, f->name, sample_suffix(f->type), s, NULL);
	switch (s->kind) {
	case VAL_U64:
		sb_put_u64(sb, s->v.u);
		break;
	case VAL_I64:
		sb_put_i64(sb, s->v.i);
		break;
	default:
		expo_put_f64(sb, s->v.f);
		break;
	}
	sb_putc(sb, '\n');
}

static void put_header(struct strbuf *out, const char *name, const char *suffix, const char *help,
		       const char *type, enum expo_format fmt)
{
	sb_puts(out, "# HELP ");
	sb_puts(out, name);
	sb_puts(out, suffix);
	sb_putc(out, ' ');
	expo_put_help(out, help, fmt);
	sb_puts(out, "\n# TYPE ");
	sb_puts(out, name);
	sb_puts(out, suffix);
	sb_putc(out, ' ');
	sb_puts(out, type);
	sb_putc(out, '\n');
}

/* The text format's stand-in for a gauge histogram: the same sample names in
 * three families (see EXPO_GAUGEHISTOGRAM). */
static void render_text_gh(struct strbuf *out, const struct expo_family *f)
{
	static const struct {
		const char *suffix, *type;
	} parts[GH_PART_COUNT] = {
		[GH_BUCKETS] = {"_bucket", "untyped"},
		[GH_GCOUNT] = {"_gcount", "gauge"},
		[GH_GSUM] = {"_gsum", "gauge"},
	};

	for (int part = 0; part < GH_PART_COUNT; part++) {
		put_header(out, f->name, parts[part].suffix, f->help, parts[part].type, EXPO_FMT_TEXT);
		for (const struct sample *s = f->first; s; s = s->next)
			put_gh(out, f, s, part);
	}
}

int expo_render(const struct expo *e, enum expo_format fmt, struct strbuf *out)
{
	int om = fmt == EXPO_FMT_OPENMETRICS;

	if (e->err)
		return e->err;
	for (size_t i = 0; i < e->nfamilies; i++) {
		const struct expo_family *f = e->families[i];
		const char *suffix = om ? "" : sample_suffix(f->type);

		if (!f->first)
			continue;
		if (!om && f->type == EXPO_GAUGEHISTOGRAM) {
			render_text_gh(out, f);
			continue;
		}
		put_header(out, f->name, suffix, f->help, type_word(f->type, fmt), fmt);
		for (const struct sample *s = f->first; s; s = s->next)
			put_sample(out, f, s);
	}
	if (om)
		sb_puts(out, "# EOF\n");
	return out->err;
}

const char *expo_content_type(enum expo_format fmt)
{
	if (fmt == EXPO_FMT_OPENMETRICS)
		return "application/openmetrics-text; version=1.0.0; charset=utf-8";
	return "text/plain; version=0.0.4; charset=utf-8";
}
