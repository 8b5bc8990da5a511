/* collectors/stream: feeding the socket stream's consumers. See collector.h. */
#include "collectors/collector.h"

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
