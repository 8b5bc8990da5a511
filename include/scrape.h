/* scrape: runs the enabled collectors and shares the result.
 *
 * Single-flight: one collection runs at a time. A request that arrives while
 * a collection is running waits for it and shares its result instead of
 * starting another, so N concurrent scrapes cost one collection. Collector
 * state is only touched by the one running collection, so it needs no locks. */
#ifndef NETSTAT_SCRAPE_H
#define NETSTAT_SCRAPE_H

#include <stddef.h>

#include "collectors/collector.h"
#include "cli/config.h"
#include "expo/expo.h"
#include "expo/strbuf.h"

struct scrape;
struct scrape_result; /* refcounted, immutable once published */

/* Initialises every enabled collector. On a bad collector option returns
 * -EINVAL with one line in err. cfg must outlive the scrape. */
int scrape_new(const struct config *cfg, struct scrape **out, struct strbuf *err);
/* The same over another list of collectors (tests); cfg->enabled is indexed
 * like that list. The list must outlive the scrape. */
int scrape_new_with(const struct config *cfg, const struct collector_ops *const *collectors,
		    size_t ncollectors, struct scrape **out, struct strbuf *err);
void scrape_free(struct scrape *s);

/* The result of a collection that started no earlier than the call (or, if
 * that collection ran out of memory, the newest one); NULL when there is none. Release with
 * scrape_result_put(). */
struct scrape_result *scrape_get(struct scrape *s);
void scrape_result_put(struct scrape_result *r);
const struct expo *scrape_result_expo(const struct scrape_result *r);

#endif
