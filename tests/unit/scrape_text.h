/* For the unit tests that scrape a list of collectors: one collection's text
 * exposition. Include after cmocka.h. */
#ifndef NETSTAT_TESTS_SCRAPE_TEXT_H
#define NETSTAT_TESTS_SCRAPE_TEXT_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "scrape.h"

/* Scrapes list[0..n) with procfs as --path.procfs (a tree under
 * FIXTURES_DIR/procfs when it has no '/'), every collector enabled but
 * those cleared in enabled (NULL: all), collecting `times` times; returns the
 * last collection's text (caller frees). */
static char *scrape_text(const struct collector_ops *const *list, size_t n, const bool *enabled,
			 const char *procfs, int times)
{
	static char path[512];
	struct config cfg;
	struct scrape *s;
	struct strbuf err, sb;
	struct scrape_result *r = NULL;

	if (strchr(procfs, '/') == NULL) {
		snprintf(path, sizeof(path), "%s/procfs/%s", FIXTURES_DIR, procfs);
		procfs = path;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.procfs = procfs;
	for (size_t i = 0; i < n; i++)
		cfg.enabled[i] = enabled ? enabled[i] : true;
	sb_init(&err);
	sb_init(&sb);
	assert_int_equal(scrape_new_with(&cfg, list, n, &s, &err), 0);
	for (int k = 0; k < times; k++) {
		scrape_result_put(r);
		assert_int_equal(scrape_get(s, INFINITY, &r), 0);
	}
	assert_int_equal(expo_render(scrape_result_expo(r), EXPO_FMT_TEXT, &sb), 0);
	scrape_result_put(r);
	scrape_free(s);
	sb_fini(&err);
	return sb_steal(&sb, NULL);
}

/* Whether text has line (a whole line). */
static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, line, len) == 0 && (p[len] == '\n' || p[len] == '\0'))
			return true;
	return false;
}

#define HAS(t, l) do { if (!has_line(t, l)) fail_msg("missing: %s\n--- got:\n%s", l, t); } while (0)

#endif
