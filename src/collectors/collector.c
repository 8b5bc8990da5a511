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

void stream_begin(struct stream_out *out, unsigned nworkers)
{
	out->pass.nworkers = nworkers;
	for (size_t i = 0; i < out->n; i++)
		if (out->rc[i] == 0)
			out->rc[i] = out->ops[i]->begin(out->state[i], &out->pass);
}

void stream_add(const struct stream_out *out, unsigned worker, const struct diag_sock *s,
		uint64_t netns)
{
	for (size_t i = 0; i < out->n; i++)
		if (out->rc[i] == 0)
			out->ops[i]->add(out->state[i], worker, s, netns);
}
