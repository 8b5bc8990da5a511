/* collectors/collector: the helpers of the collector interface. See collector.h. */
#include "collectors/collector.h"

#include <string.h>

const char *collector_flag_value(const struct config *cfg, const struct collector_flag *f)
{
	return config_get(cfg, f->name, f->def);
}

bool collector_flag_bool(const struct config *cfg, const struct collector_flag *f)
{
	return config_bool(cfg, f->name, f->def && strcmp(f->def, "true") == 0);
}

void collector_sinks_begin(struct collector_sinks *k, unsigned nworkers)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->rc[i] == 0)
			k->rc[i] = k->ops[i]->begin(k->state[i], nworkers);
}

void collector_sinks_add(const struct collector_sinks *k, unsigned worker,
			 const struct diag_sock *s)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->rc[i] == 0)
			k->ops[i]->add(k->state[i], worker, s);
}

void collector_sinks_begin_netns(struct collector_sinks *k, unsigned nworkers)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->rc[i] == 0)
			k->rc[i] = k->ops[i]->begin_netns(k->state[i], nworkers);
}

void collector_sinks_add_netns(const struct collector_sinks *k, unsigned worker,
			       const struct diag_sock *s, uint64_t netns)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->rc[i] == 0)
			k->ops[i]->add_netns(k->state[i], worker, s, netns);
}
