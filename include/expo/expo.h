/* expo/expo: a scrape's metric set, and its rendering in the two exposition formats.
 *
 * Collectors add families and samples to a `struct expo`; when the scrape is
 * done the set is immutable and may be rendered any number of times, in either
 * format, by any thread. Families render in the order they were created, each
 * as one contiguous group with one HELP and one TYPE line.
 *
 * Errors are sticky: a failed allocation or an invalid name marks the set
 * failed (expo_error() != 0) and later calls become no-ops, so a collector can
 * add samples without checking every call. expo_family() returns NULL then, and
 * the add functions accept a NULL family. */
#ifndef NETSTAT_EXPO_EXPO_H
#define NETSTAT_EXPO_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

enum expo_type {
	EXPO_COUNTER = 0, /* family name without _total; samples get _total */
	EXPO_GAUGE,
	EXPO_INFO,        /* family name without _info; value 1; gauge in text */
	EXPO_UNKNOWN,     /* "untyped" in the text format */
	EXPO_GAUGEHISTOGRAM, /* a snapshot distribution; samples via expo_add_gaugehistogram() only.
			      * OpenMetrics: one gaugehistogram family, NAME_bucket{le},
			      * NAME_gcount, NAME_gsum per label set. The text format has no
			      * such type: three families with the same sample names,
			      * NAME_bucket untyped (promtool reserves _bucket and le for
			      * histograms, whose buckets are counters: these are not),
			      * NAME_gcount and NAME_gsum gauges. histogram_quantile()
			      * works on NAME_bucket either way. */
	EXPO_TYPE_COUNT
};

enum expo_format {
	EXPO_FMT_TEXT = 0,    /* Prometheus text format 0.0.4 */
	EXPO_FMT_OPENMETRICS, /* OpenMetrics 1.0.0 */
	EXPO_FMT_COUNT
};

struct expo_label {
	const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" */
	const char *value; /* any UTF-8; escaped on output */
};

struct expo;
struct expo_family;

/* A family's name, type and HELP. A collector keeps the families it emits in
 * a table of these indexed by an enum, next to the code that fills them. */
struct expo_desc {
	const char *name;
	enum expo_type type;
	const char *help;
};

/* Label array literal and its length, for the add functions:
 *   expo_add_u64(f, n, EXPO_LABELS({"state", "listen"}, {"family", "ipv4"})); */
#define EXPO_LABELS(...)                                                 \
	((const struct expo_label[]){__VA_ARGS__}),                      \
	(sizeof((const struct expo_label[]){__VA_ARGS__}) /              \
	 sizeof(struct expo_label))
#define EXPO_NOLABELS NULL, 0

struct expo *expo_new(void);
void expo_free(struct expo *e);
int expo_error(const struct expo *e);

/* Starts a family. name and help are copied. A duplicate or invalid name marks
 * the set failed (-EEXIST / -EINVAL) and returns NULL. */
struct expo_family *expo_family(struct expo *e, const char *name,
				enum expo_type type, const char *help);

/* The family of d in e: created on the first call and remembered in *slot
 * (NULL before), returned again by later calls, so several emitters can add
 * to one family (e.g. one census per network namespace). */
struct expo_family *expo_family_once(struct expo *e, const struct expo_desc *d,
				     struct expo_family **slot);

/* Adds one sample; labels and their strings are copied. */
void expo_add_u64(struct expo_family *f, uint64_t v,
		  const struct expo_label *labels, size_t nlabels);
void expo_add_i64(struct expo_family *f, int64_t v,
		  const struct expo_label *labels, size_t nlabels);
void expo_add_f64(struct expo_family *f, double v,
		  const struct expo_label *labels, size_t nlabels);

/* Adds one label set of a gauge histogram: counts[i] observations in
 * bucket i, that is above bounds[i - 1] and at most bounds[i], for i < n;
 * counts[n] above bounds[n - 1] (the +Inf bucket). bounds ascend, finite.
 * Buckets are rendered cumulative; gcount is the sum of counts; sum is the
 * sum of the observations. labels must not use "le". Arrays are copied. */
void expo_add_gaugehistogram(struct expo_family *f, const double *bounds, const uint64_t *counts,
			     size_t n, double sum, const struct expo_label *labels, size_t nlabels);

/* Whether a family of src may join dst in expo_merge(); taken says dst
 * already has the name (the family is then left out whatever this returns). */
typedef bool (*expo_keep_fn)(const char *name, bool taken, void *arg);

/* Moves the families of src (and the memory behind them) into dst, leaving
 * src empty. A family whose name dst already has, or that keep (when not
 * NULL) rejects, is left out alone: it is not rendered, the others are.
 * Returns the number left out, src's sticky error, or a negative errno. */
int expo_merge(struct expo *dst, struct expo *src, expo_keep_fn keep, void *arg);

/* Appends the whole set to out. Returns 0 or a negative errno (the set's
 * sticky error, or out's). */
int expo_render(const struct expo *e, enum expo_format fmt, struct strbuf *out);

/* The exact Content-Type for a format. */
const char *expo_content_type(enum expo_format fmt);

/* Helpers shared with tests: escaping per format, and value formatting. */
void expo_put_label_value(struct strbuf *sb, const char *s);
void expo_put_help(struct strbuf *sb, const char *s, enum expo_format fmt);
void expo_put_f64(struct strbuf *sb, double v);
int expo_valid_metric_name(const char *s);
int expo_valid_label_name(const char *s);

#endif
