/* collectors/collector: the helpers of the collector interface. See collector.h. */
#include "collectors/collector.h"

#include <errno.h>
#include <string.h>

#include "util/duration.h"

const char *collector_flag_value(const struct config *cfg, const struct collector_flag *f)
{
	return config_get(cfg, f->name, f->def);
}

bool collector_flag_bool(const struct config *cfg, const struct collector_flag *f)
{
	return config_bool(cfg, f->name, f->def && strcmp(f->def, "true") == 0);
}

int collector_flag_duration(const struct config *cfg, const struct collector_flag *f,
			    double *seconds, struct strbuf *err)
{
	const char *v = collector_flag_value(cfg, f);
	uint64_t ms;

	if (v == NULL || duration_parse(v, strlen(v), &ms) < 0) {
		sb_printf(err, "invalid value \"%s\" for --%s: want a duration such as 250ms, 30s or 5m",
			  v ? v : "", f->name);
		return -EINVAL;
	}
	*seconds = (double)ms / 1000.0;
	return 0;
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
